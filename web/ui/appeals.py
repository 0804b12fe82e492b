"""«Обращение» card: every appeal's fields, and handling one that is not a complaint — resolve, remind, or
turn it into a complaint."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from models import db
from web.permissions import WORKERS
from web.queries import appeal_view, find_appeal
from web.ui.access import actor
from web.ui.formatting import local_calendar, use_department_time
from web.ui.messages import localized

bp = Blueprint("appeals", __name__)
# The card's own words for what the engine may refuse (the API keeps the engine's English).
FIELD_MESSAGES: dict[str, Any] = {
    "resolution": _l("Напишите, как обращение обработано (не длиннее 20 000 знаков)."),
    "remind_at": _l("Укажите дату и время напоминания в будущем."),
}


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


@bp.route("/appeals/<number>")
def card(number: str) -> str:
    return render_appeal(number)


def render_appeal(number: str, draft: dict[str, str] | None = None,
                  errors: dict[str, list[Any]] | None = None) -> str:
    appeal = find_appeal(number)
    if appeal is None:
        abort(404)
    use_department_time(appeal.department.code if appeal.department else None)
    view = appeal_view(appeal)
    may_handle = view["state"] != "processed" and any(current_user.has_role(r) for r in WORKERS)
    return render_template("appeal.html", a=view, may_handle=may_handle, draft=draft or {}, errors=errors or {})


def _refused(number: str, err: InvalidInput, draft: dict[str, str]) -> tuple[str, int]:
    db.session.rollback()
    errors = {name: [FIELD_MESSAGES.get(name, localized(messages[0]))] for name, messages in err.fields.items()}
    return render_appeal(number, draft, errors), 422


@bp.route("/appeals/<number>/resolve", methods=["POST"])
def resolve(number: str) -> Response | tuple[str, int]:
    resolution = request.form.get("resolution", "")
    try:
        _engine().resolve_appeal(number, resolution, actor())
    except InvalidInput as err:
        return _refused(number, err, {"resolution": resolution})
    return redirect(url_for("appeals.card", number=number))


@bp.route("/appeals/<number>/reminder", methods=["POST"])
def remind(number: str) -> Response | tuple[str, int]:
    typed = request.form.get("remind_at", "")
    appeal = find_appeal(number)
    if appeal is None:
        abort(404)
    use_department_time(appeal.department.code if appeal.department else None)
    try:
        # The browser's datetime-local field is a wall-clock time on the appeal department's calendar.
        remind_at = dt.datetime.fromisoformat(typed).replace(tzinfo=local_calendar().tz)
    except ValueError:
        return _refused(number, InvalidInput("No time.", {"remind_at": ["bad"]}), {"remind_at": typed})
    try:
        _engine().set_appeal_reminder(number, remind_at, actor())
    except InvalidInput as err:
        return _refused(number, err, {"remind_at": typed})
    return redirect(url_for("appeals.card", number=number))


@bp.route("/appeals/<number>/complaint", methods=["POST"])
def to_complaint(number: str) -> Response:
    complaint = _engine().turn_into_complaint(number, actor())
    return redirect(url_for("complaints.card", number=complaint.number))
