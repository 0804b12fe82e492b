"""«Претензия» card and the lists of complaints and appeals with filters and search."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from models import (
    APPEAL_TYPES,
    CHANNELS,
    Appeal,
    Attachment,
    Complaint,
    Deadline,
    Department,
    Responsible,
    Task,
    db,
)
from web import downloads, listing
from web.queries import complaint_view, history
from web.ui.conversation import conversation_view
from web.ui.formatting import use_department_time, whole_number
from web.ui.history_view import history_rows

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
    use_department_time(complaint.department.code if complaint.department else None)
    view = complaint_view(complaint)
    events = history(number)
    end = complaint.stage1_closed_at or dt.datetime.now(dt.UTC)
    attachments = list(db.session.scalars(select(Attachment).where(Attachment.appeal_id == complaint.appeal_id)))
    tasks = {t.id: t for t in db.session.scalars(select(Task).where(Task.business_key == number))}
    rows = history_rows(events, tasks, {a.id: a.filename for a in attachments})
    return render_template("card.html", c=complaint, view=view, events=rows,
                           assignments=[r for r in rows if r.event.kind in ASSIGNMENT_KINDS],
                           days_open=(end - complaint.registered_at).days, attachments=attachments,
                           **conversation_view(complaint, draft, errors))


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int) -> Response:
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        abort(404)
    folder = current_app.extensions["complaint_engine"].settings.attachments_dir
    appeal_number = db.session.scalar(select(Appeal.number).where(Appeal.id == row.appeal_id))
    downloads.record("attachment", "file", {"attachment": row.id, "appeal": appeal_number}, 1)
    return send_file(folder / row.stored_name, mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)


@bp.route("/complaints")
def complaint_list() -> str:
    a = request.args
    stmt = listing.complaints(a)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(whole_number(a.get("page"), 1, 10**6) or 1, 1)
    rows = db.session.scalars(stmt.limit(PAGE).offset((page - 1) * PAGE)).all()
    breached = set(db.session.scalars(select(Deadline.business_key).where(
        Deadline.business_key.in_([c.number for c in rows]), Deadline.breached_at.is_not(None))))
    return render_template("complaints.html", rows=rows, exports=_export_links("complaints.complaint_export", a),
                           total=total, page=page, pages=(total + PAGE - 1) // PAGE,
                           breached=breached, args=a, channels=CHANNELS,
                           departments=db.session.scalars(select(Department).order_by(Department.code)).all(),
                           responsibles=db.session.scalars(select(Responsible).order_by(Responsible.id)).all())


@bp.route("/appeals")
def appeal_list() -> str:
    a = request.args
    stmt = listing.appeals(a)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(whole_number(a.get("page"), 1, 10**6) or 1, 1)
    rows = db.session.scalars(stmt.limit(PAGE).offset((page - 1) * PAGE)).all()
    complaint_of = {c.appeal_id: c.number for c in db.session.scalars(
        select(Complaint).where(Complaint.appeal_id.in_([r.id for r in rows])))}
    return render_template("appeals.html", rows=rows, exports=_export_links("complaints.appeal_export", a),
                           total=total, page=page, pages=(total + PAGE - 1) // PAGE,
                           args=a, types=APPEAL_TYPES, channels=CHANNELS, complaint_of=complaint_of,
                           departments=db.session.scalars(select(Department).order_by(Department.code)).all(),
                           responsibles=db.session.scalars(select(Responsible).order_by(Responsible.id)).all())


def _export_links(endpoint: str, args: Any) -> dict[str, str]:
    kept = {k: v for k, v in args.items() if k in listing.FILTERS and v}
    return {fmt: url_for(endpoint, **kept, format=fmt) for fmt in downloads.FORMATS}


def _format() -> str:
    fmt = request.args.get("format", "csv")
    if fmt not in downloads.FORMATS:
        abort(400, _("Формат выгрузки: csv или xlsx."))
    return fmt


@bp.route("/complaints/export")
def complaint_export() -> Response:
    """The list with the page's filters, every row (not one page), as CSV or XLSX."""
    return downloads.complaint_download(request.args, _format(), f"complaints-{dt.date.today():%Y-%m-%d}")


@bp.route("/appeals/export")
def appeal_export() -> Response:
    return downloads.appeal_download(request.args, _format(), f"appeals-{dt.date.today():%Y-%m-%d}")
