"""Administration pages under /admin/: users, departments, responsibles, calendar, templates, API clients, audit.

Each form is a Flask-WTF form (CSRF, typed values kept on error); each change goes through the engine's audited
use cases, the same the command line calls. Who may open which page is web/permissions.py.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field
from wtforms.widgets import CheckboxInput, ListWidget

from engine.errors import InvalidInput
from engine.people.directory import MIN_PASSWORD
from models import AuditLog, Department, User, db
from web.ui.formatting import label
from web.ui.messages import localized_fields

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_NAMES = {"operator": _l("Оператор (регистрация)"), "responsible": _l("Ответственный подразделения"),
              "qms": _l("СМК"), "owner": _l("Владелец процесса"), "executive": _l("Руководство"),
              "admin": _l("Администратор")}
KIND_NAMES = {"working": _l("Рабочий день"), "day_off": _l("Выходной"), "shortened": _l("Сокращённый день")}
REQUIRED = _l("Обязательное поле.")
SHORT = _l("Не короче %(n)s символов.", n=MIN_PASSWORD)


class MultiCheckbox(Field):
    """A list of checkboxes whose checked values come back as a list (roles, departments, scopes)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: Any = None, validators: Any = None, choices: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.choices = choices or []

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist)

    def _value(self) -> list[str]:
        return list(self.data or [])



def _engine_errors(form: FlaskForm, err: InvalidInput, fallback: str) -> None:
    """Engine messages go under their field; a field the form does not show goes under `fallback`."""
    for name, messages in localized_fields(err.fields).items():
        target = form._fields.get(name.split(".")[0]) or form._fields[fallback]
        target.errors = [*target.errors, *messages]


def _users() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))
    return [("", "—")] + [(u.login, f"{u.full_name} ({u.login})") for u in rows]


def _department_choices() -> list[tuple[str, str]]:
    return [(d.code, f"{d.code} — {d.name}") for d in db.session.scalars(select(Department).order_by(Department.code))]


def _audit(*prefixes: str, key: str | None = None, value: Any = None, limit: int = 20) -> list[AuditLog]:
    """The latest audit entries of these actions (about one object when key/value are given)."""
    stmt = select(AuditLog).where(AuditLog.action.in_(prefixes)).order_by(AuditLog.id.desc())
    rows = list(db.session.scalars(stmt.limit(limit * 10 if key else limit)))
    if key:
        rows = [r for r in rows if (r.data or {}).get(key) == value]
    return rows[:limit]


def _render(name: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"admin/{name}.html", **context), status


def _status(form: FlaskForm) -> int:
    return 422 if form.errors or any(f.errors for f in form) else 200


# --- the index ------------------------------------------------------------------------------------------------
@bp.route("/")
def index() -> tuple[str, int]:
    return _render("index")




ACTIONS = ("user_created", "user_updated", "password_reset", "department_added", "department_updated",
           "department_head_set", "responsible_created", "responsible_updated", "calendar_override_set",
           "calendar_override_removed", "department_calendar_set", "department_calendar_removed", "template_set",
           "api_client_created", "api_client_revoked", "kpi_weights_set")


@bp.route("/audit")
def audit() -> tuple[str, int]:
    chosen = request.args.get("action", "")
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(200)
    if chosen in ACTIONS:
        stmt = stmt.where(AuditLog.action == chosen)
    return _render("audit", rows=db.session.scalars(stmt).all(), actions=ACTIONS, chosen=chosen)



AUDIT_LABELS = {
    "user_created": _l("Пользователь создан"), "user_updated": _l("Пользователь изменён"),
    "password_reset": _l("Пароль сброшен"), "department_added": _l("Подразделение создано"),
    "department_updated": _l("Подразделение изменено"), "department_head_set": _l("Назначен руководитель"),
    "responsible_created": _l("Ответственный добавлен"), "responsible_updated": _l("Ответственный изменён"),
    "calendar_override_set": _l("Исключение календаря задано"),
    "calendar_override_removed": _l("Исключение календаря снято"),
    "department_calendar_set": _l("Календарь подразделения задан"),
    "department_calendar_removed": _l("Календарь подразделения снят"), "template_set": _l("Шаблон изменён"),
    "api_client_created": _l("API-клиент создан"), "api_client_revoked": _l("API-клиент отозван"),
    "kpi_weights_set": _l("Веса KPI изменены"),
}


@bp.app_template_filter("audit_label")
def audit_label(action: str) -> Any:
    return AUDIT_LABELS.get(action, action)


@bp.app_template_filter("audit_value")
def audit_value(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return str(label(value))
    if isinstance(value, list):
        return ", ".join(" ".join(map(str, v)) if isinstance(v, list) else str(v) for v in value)
    return str(value)


# The pages of each part register on `bp` when imported.
from web.ui.admin import directory, settings  # noqa: E402,F401
