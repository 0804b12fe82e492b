"""«Регистрация обращения»: one form, one submit, the script to read to the client with the real date."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from engine import AppealInput, NewFile
from engine.errors import InvalidInput
from engine.intake.inn import normalised_inn
from models import APPEAL_TYPES, CHANNELS, Appeal, Counterparty, Department, db
from web.ui.access import actor
from web.ui.formatting import local_time
from web.ui.messages import localized_fields

bp = Blueprint("intake", __name__)
CHECKLIST = [
    "Организация (контрагент) и ИНН", "ФИО, должность и телефон контактного лица",
    "Дата ситуации, на которую жалуется клиент", "Какая программа у клиента",
    "Кто и когда выполнял работы, какие работы", "Обращался ли клиент с этим раньше",
]


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


def _form_input(form: Any, files: Any) -> tuple[AppealInput | None, dict[str, list[str]]]:
    problems: dict[str, list[str]] = {}
    situation = None
    if form.get("situation_date"):
        try:
            situation = dt.date.fromisoformat(form["situation_date"])
        except ValueError:
            problems["situation_date"] = ["Укажите дату в формате ДД.ММ.ГГГГ."]
    uploads = tuple(NewFile(f.filename or "file", f.mimetype or "application/octet-stream", f.read())
                    for f in files.getlist("attachments") if f and f.filename)
    if problems:
        return None, problems
    text = lambda name: (form.get(name) or "").strip() or None  # noqa: E731 - a local shorthand
    return AppealInput(
        type=form.get("type", ""), channel=form.get("channel", ""), subject=form.get("subject", ""),
        text=form.get("text", ""), counterparty_name=text("counterparty_name"), inn=text("inn"),
        contact_name=text("contact_name"), contact_position=text("contact_position"),
        contact_phone=text("contact_phone"), contact_email=text("contact_email"), department=text("department"),
        importance=form.get("importance", "normal"), kind=form.get("kind", "external"), situation_date=situation,
        software=text("software"), work_done=text("work_done"), previous_appeals_text=text("previous_appeals_text"),
        attachments=uploads,
    ), {}


FIELD_OF = {"counterparty.inn": "inn", "contact.email": "contact_email"}


@bp.route("/appeals/new", methods=["GET", "POST"])
def register() -> str | tuple[str, int]:
    departments = list(db.session.scalars(select(Department).order_by(Department.code)))
    values: dict[str, Any] = {"type": "complaint", "channel": "phone", "importance": "normal", "kind": "external"}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        data, errors = _form_input(request.form, request.files)
        if data is not None:
            try:
                appeal, complaint = _engine().register_appeal(data, actor())
            except InvalidInput as err:
                errors = {FIELD_OF.get(k, k): v for k, v in localized_fields(err.fields).items()}
            else:
                return render_template("registered.html", appeal=appeal, complaint=complaint,
                                       answer_by=_engine().answer_by(appeal.received_at))
    status = 422 if errors else 200
    page = render_template("register.html", values=values, errors=errors, departments=departments,
                           types=APPEAL_TYPES, channels=CHANNELS, checklist=CHECKLIST,
                           answer_by=_engine().answer_by(dt.datetime.now(dt.UTC)))
    return (page, status) if errors else page


@bp.route("/ui/counterparties")
def counterparties() -> Response:
    """Search by name or INN; with each match, its previous appeals (newest first)."""
    q = normalised_inn(request.args.get("q") or "") if (request.args.get("q") or "").strip().isdecimal() \
        else (request.args.get("q") or "").strip()
    if len(q) < 2:
        return jsonify([])
    matches = db.session.scalars(select(Counterparty).where(or_(
        Counterparty.inn.startswith(q), Counterparty.name.ilike(f"%{q}%"))).limit(10))
    result = []
    for c in matches:
        appeals = db.session.scalars(select(Appeal).where(Appeal.counterparty_id == c.id)
                                     .order_by(Appeal.received_at.desc()).limit(20))
        result.append({"name": c.name, "inn": c.inn, "appeals": [
            {"number": a.number, "received_at": a.received_at.isoformat(),
             "received_on": local_time(a.received_at, "%d.%m.%Y"), "type": a.type, "subject": a.subject}
            for a in appeals]})
    return jsonify(result)
