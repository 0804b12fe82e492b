"""«Претензия» card and the lists of complaints and appeals with filters and search."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from sqlalchemy import Select, exists, func, or_, select
from werkzeug.wrappers import Response

from models import (
    APPEAL_TYPES,
    CHANNELS,
    Appeal,
    Attachment,
    Complaint,
    Counterparty,
    Deadline,
    Department,
    Responsible,
    Task,
    db,
)
from web.queries import complaint_view, history
from web.ui.conversation import conversation_view
from web.ui.formatting import whole_number

bp = Blueprint("complaints", __name__)
PAGE = 50
ASSIGNMENT_KINDS = ("task_claimed", "task_assigned", "responsible_assigned")


@bp.route("/complaints/<number>")
def card(number: str) -> str:
    return render_card(number)


def render_card(number: str, draft: dict[str, str] | None = None, errors: dict[str, list[Any]] | None = None) -> str:
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    if complaint is None:
        abort(404)
    view = complaint_view(complaint)
    events = history(number)
    end = complaint.stage1_closed_at or dt.datetime.now(dt.UTC)
    attachments = db.session.scalars(select(Attachment).where(Attachment.appeal_id == complaint.appeal_id))
    task_names = {i: n for i, n in db.session.execute(select(Task.id, Task.name).where(Task.business_key == number))}
    return render_template("card.html", c=complaint, view=view, events=events, task_names=task_names,
                           assignments=[e for e in events if e.kind in ASSIGNMENT_KINDS],
                           days_open=(end - complaint.registered_at).days, attachments=list(attachments),
                           **conversation_view(complaint, draft, errors))


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int) -> Response:
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        abort(404)
    folder = current_app.extensions["complaint_engine"].settings.attachments_dir
    return send_file(folder / row.stored_name, mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)


def _period(stmt: Select[Any], column: Any, args: Any) -> Select[Any]:
    for key, op in (("from", column.__ge__), ("to", column.__lt__)):
        if args.get(key):
            try:
                day = dt.date.fromisoformat(args[key]) + dt.timedelta(days=1 if key == "to" else 0)
            except ValueError:
                continue
            stmt = stmt.where(op(dt.datetime.combine(day, dt.time(), dt.UTC)))
    return stmt


@bp.route("/complaints")
def complaint_list() -> str:
    a = request.args
    stmt = select(Complaint).join(Appeal, Appeal.id == Complaint.appeal_id).outerjoin(
        Counterparty, Counterparty.id == Complaint.counterparty_id)
    if a.get("q"):
        q = f"%{a['q'].strip()}%"
        stmt = stmt.where(or_(Complaint.number.ilike(q), Counterparty.name.ilike(q), Counterparty.inn.ilike(q),
                              Appeal.text.ilike(q), Appeal.subject.ilike(q)))
    if a.get("department"):
        stmt = stmt.join(Department, Department.id == Complaint.department_id).where(Department.code == a["department"])
    if a.get("responsible"):
        responsible = whole_number(a["responsible"])
        stmt = stmt.where(Complaint.responsible_id == responsible) if responsible is not None else stmt
    if a.get("channel"):
        stmt = stmt.where(Appeal.channel == a["channel"])
    if a.get("state") == "open":
        stmt = stmt.where(or_(Complaint.stage2_status.is_(None), Complaint.stage2_status != "closed"))
    elif a.get("state") == "closed":
        stmt = stmt.where(Complaint.stage2_status == "closed")
    if a.get("overdue"):
        stmt = stmt.where(exists().where(Deadline.business_key == Complaint.number, Deadline.breached_at.is_not(None)))
    stmt = _period(stmt, Complaint.registered_at, a)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(whole_number(a.get("page"), 1, 10**6) or 1, 1)
    rows = db.session.scalars(stmt.order_by(Complaint.registered_at.desc(), Complaint.id.desc())
                              .limit(PAGE).offset((page - 1) * PAGE)).all()
    breached = set(db.session.scalars(select(Deadline.business_key).where(
        Deadline.business_key.in_([c.number for c in rows]), Deadline.breached_at.is_not(None))))
    return render_template("complaints.html", rows=rows, total=total, page=page, pages=(total + PAGE - 1) // PAGE,
                           breached=breached, args=a, channels=CHANNELS,
                           departments=db.session.scalars(select(Department).order_by(Department.code)).all(),
                           responsibles=db.session.scalars(select(Responsible).order_by(Responsible.id)).all())


@bp.route("/appeals")
def appeal_list() -> str:
    a = request.args
    stmt = select(Appeal).outerjoin(Counterparty, Counterparty.id == Appeal.counterparty_id)
    if a.get("q"):
        q = f"%{a['q'].strip()}%"
        stmt = stmt.where(or_(Appeal.number.ilike(q), Counterparty.name.ilike(q), Counterparty.inn.ilike(q),
                              Appeal.text.ilike(q), Appeal.subject.ilike(q)))
    for key in ("type", "channel", "state"):
        if a.get(key):
            stmt = stmt.where(getattr(Appeal, key) == a[key])
    if a.get("department"):
        stmt = stmt.join(Department, Department.id == Appeal.department_id).where(Department.code == a["department"])
    if whole_number(a.get("responsible")) is not None:
        stmt = stmt.where(Appeal.responsible_id == int(a["responsible"]))
    stmt = _period(stmt, Appeal.received_at, a)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(whole_number(a.get("page"), 1, 10**6) or 1, 1)
    rows = db.session.scalars(stmt.order_by(Appeal.received_at.desc(), Appeal.id.desc())
                              .limit(PAGE).offset((page - 1) * PAGE)).all()
    complaint_of = {c.appeal_id: c.number for c in db.session.scalars(
        select(Complaint).where(Complaint.appeal_id.in_([r.id for r in rows])))}
    return render_template("appeals.html", rows=rows, total=total, page=page, pages=(total + PAGE - 1) // PAGE,
                           args=a, types=APPEAL_TYPES, channels=CHANNELS, complaint_of=complaint_of,
                           departments=db.session.scalars(select(Department).order_by(Department.code)).all(),
                           responsibles=db.session.scalars(select(Responsible).order_by(Responsible.id)).all())
