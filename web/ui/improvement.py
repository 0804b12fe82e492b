"""«Реестр несоответствий»: stage 2 as a register across complaints; QMS gives corrective tasks to people,
and each assignee reports theirs done from the inbox."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.errors import EngineError, InvalidInput
from models import db
from web import improvement_register as register
from web.security import local_target
from web.ui.access import actor
from web.ui.formatting import whole_number
from web.ui.messages import localized

bp = Blueprint("improvement", __name__)
FIELD_MESSAGES: dict[str, Any] = {
    "assignee": _l("Выберите исполнителя из пользователей."),
    "working_days": _l("Срок — от 1 до 250 рабочих дней."),
}


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


@bp.route("/improvement")
def register_page() -> str:
    return _render()


def _render(errors: dict[int, dict[str, list[Any]]] | None = None, draft: dict[str, str] | None = None) -> str:
    args = request.args
    return render_template("improvement.html", rows=register.nonconformities(args), args=args,
                           choices=register.choices(), users=register.active_users(),
                           may_assign=current_user.has_role("qms"), errors=errors or {}, draft=draft or {})


@bp.route("/improvement/actions/<int:action_id>/assign", methods=["POST"])
def assign(action_id: int) -> Response | tuple[str, int]:
    login, days = request.form.get("assignee", ""), request.form.get("working_days", "")
    try:
        _engine().assign_corrective_task(action_id, login, whole_number(days, 0, 10**6) or 0, actor())
    except InvalidInput as err:
        db.session.rollback()
        errors = {name: [FIELD_MESSAGES.get(name, localized(messages[0]))] for name, messages in err.fields.items()}
        return _render({action_id: errors}, {"action": str(action_id), "assignee": login, "working_days": days}), 422
    except EngineError as err:
        db.session.rollback()
        flash(localized(err.message), "error")
    else:
        flash(_("Корректирующая задача назначена."), "ok")
    return redirect(local_target(request.form.get("next")) or url_for("improvement.register_page"))


@bp.route("/improvement/actions/<int:action_id>/done", methods=["POST"])
def done(action_id: int) -> Response:
    try:
        _engine().finish_corrective_task(action_id, actor())
        flash(_("Корректирующая задача выполнена."), "ok")
    except EngineError as err:
        db.session.rollback()
        flash(localized(err.message), "error")
    return redirect(local_target(request.form.get("next")) or url_for("tasks.inbox"))
