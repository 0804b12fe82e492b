"""Administration pages under /admin/: users, departments, responsibles, calendar, templates, API clients, audit.

Each form is a Flask-WTF form (CSRF, typed values kept on error); each change goes through the engine's audited
use cases, the same the command line calls. Who may open which page is web/permissions.py.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, Field, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from engine.errors import InvalidInput
from engine.notify.notifications import DEFAULTS, template
from engine.people.directory import MIN_PASSWORD, SCOPES
from engine.time.deadlines import KINDS
from models import CHANNELS, ROLES, ApiClient, AuditLog, CalendarOverride, Department, Responsible, User, db
from web.queries import engine
from web.ui.access import actor
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


class UserForm(FlaskForm):
    full_name = StringField(_l("ФИО"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    email = StringField(_l("Электронная почта"), validators=[
        Optional(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Неверный адрес электронной почты.")),
        Length(max=200)])
    telegram_chat_id = StringField(_l("Чат Telegram (id)"), validators=[Optional(), Length(max=60)])
    roles = MultiCheckbox(_l("Роли"))
    departments = MultiCheckbox(_l("Подразделения"))


class NewUserForm(UserForm):
    login = StringField(_l("Логин"), validators=[DataRequired(message=REQUIRED), Length(max=80)])
    password = PasswordField(_l("Пароль"), validators=[
        DataRequired(message=REQUIRED), Length(min=MIN_PASSWORD, message=SHORT)])


class EditUserForm(UserForm):
    active = BooleanField(_l("Может входить (активен)"))


class ResetPasswordForm(FlaskForm):
    new = PasswordField(_l("Новый пароль"), validators=[
        DataRequired(message=REQUIRED), Length(min=MIN_PASSWORD, message=SHORT)])
    repeat = PasswordField(_l("Новый пароль ещё раз"), validators=[
        DataRequired(message=REQUIRED), EqualTo("new", message=_l("Пароли не совпадают."))])


class DepartmentForm(FlaskForm):
    name = StringField(_l("Название"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    head = SelectField(_l("Руководитель"), choices=[], validate_choice=False)


class NewDepartmentForm(DepartmentForm):
    code = StringField(_l("Код (например, ДКС)"), validators=[DataRequired(message=REQUIRED), Length(max=40)])


class ResponsibleForm(FlaskForm):
    department = SelectField(_l("Подразделение"), choices=[], validate_choice=False)
    position = StringField(_l("Должность или роль"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    person_name = StringField(_l("Сотрудник (ФИО)"), validators=[Optional(), Length(max=200)])
    user = SelectField(_l("Пользователь (получает задачи)"), choices=[], validate_choice=False)
    active = BooleanField(_l("Действует"), default=True)


class OverrideForm(FlaskForm):
    day = DateField(_l("Дата"), validators=[DataRequired(message=_l("Укажите дату."))])
    kind = SelectField(_l("Вид дня"), choices=[], validate_choice=False)
    periods = StringField(_l("Рабочие периоды (например, 09:00-13:00, 14:00-17:00)"), validators=[Length(max=200)])
    note = StringField(_l("Примечание"), validators=[Length(max=300)])


class TemplateForm(FlaskForm):
    subject = StringField(_l("Тема"), validators=[DataRequired(message=REQUIRED), Length(max=300)])
    body = TextAreaField(_l("Текст"), validators=[DataRequired(message=REQUIRED), Length(max=20000)])


class ApiClientForm(FlaskForm):
    name = StringField(_l("Название"), validators=[DataRequired(message=REQUIRED), Length(max=120)])
    scopes = MultiCheckbox(_l("Права (ни одного — все)"))
    channels = MultiCheckbox(_l("Каналы (ни одного — все)"))
    user = SelectField(_l("Действует от имени пользователя"), choices=[], validate_choice=False)


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


# --- users ----------------------------------------------------------------------------------------------------
def _user_choices(form: UserForm) -> None:
    form.roles.choices = [(r, ROLE_NAMES[r]) for r in ROLES]
    form.departments.choices = _department_choices()


@bp.route("/users", methods=["GET", "POST"])
def users() -> tuple[str, int] | Response:
    form = NewUserForm()
    _user_choices(form)
    if form.validate_on_submit():
        try:
            user = engine().create_user(form.login.data.strip(), form.full_name.data, form.password.data,
                                        form.roles.data, form.departments.data, form.email.data or None,
                                        form.telegram_chat_id.data or None, actor())
        except InvalidInput as err:
            _engine_errors(form, err, "login")
        else:
            flash(_("Пользователь %(login)s создан.", login=user.login), "ok")
            return redirect(url_for("admin.users"))
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.full_name)).all()
    return _render("users", _status(form), form=form, rows=rows, roles=ROLE_NAMES,
                   audit=_audit("user_created", "user_updated", "password_reset"))


@bp.route("/users/<login>", methods=["GET", "POST"])
def user(login: str) -> tuple[str, int] | Response:
    found = db.first_or_404(select(User).where(User.login == login))
    form = EditUserForm(obj=None if request.method == "POST" else found)
    if request.method == "GET":
        form.roles.data = list(found.roles or [])
        form.departments.data = [d.code for d in found.departments]
    _user_choices(form)
    if form.validate_on_submit():
        try:
            engine().update_user(login, form.full_name.data, form.email.data or None,
                                 form.telegram_chat_id.data or None, form.roles.data, form.departments.data,
                                 form.active.data, actor())
        except InvalidInput as err:
            _engine_errors(form, err, "full_name")
        else:
            flash(_("Изменения пользователя %(login)s сохранены.", login=login), "ok")
            return redirect(url_for("admin.user", login=login))
    return _user_page(found, form, ResetPasswordForm(formdata=None), _status(form))


def _user_page(found: User, form: EditUserForm, password: ResetPasswordForm, status: int) -> tuple[str, int]:
    return _render("user", status, user=found, form=form, password=password,
                   audit=_audit("user_created", "user_updated", "password_reset", key="login", value=found.login))


@bp.route("/users/<login>/password", methods=["POST"])
def user_password(login: str) -> tuple[str, int] | Response:
    found = db.first_or_404(select(User).where(User.login == login))
    password = ResetPasswordForm()
    if password.validate_on_submit():
        try:
            engine().reset_password(login, password.new.data, actor())
        except InvalidInput as err:
            _engine_errors(password, err, "new")
        else:
            flash(_("Пароль %(login)s изменён; все его сеансы завершены.", login=login), "ok")
            return redirect(url_for("admin.user", login=login))
    form = EditUserForm(formdata=None, obj=found)
    form.roles.data, form.departments.data = list(found.roles or []), [d.code for d in found.departments]
    _user_choices(form)
    return _user_page(found, form, password, 422)


# --- departments ----------------------------------------------------------------------------------------------
@bp.route("/departments", methods=["GET", "POST"])
def departments() -> tuple[str, int] | Response:
    form = NewDepartmentForm()
    form.head.choices = _users()
    if form.validate_on_submit():
        try:
            department = engine().create_department(form.code.data, form.name.data, form.head.data or None, actor())
        except InvalidInput as err:
            _engine_errors(form, err, "code")
        else:
            flash(_("Подразделение %(code)s создано.", code=department.code), "ok")
            return redirect(url_for("admin.departments"))
    rows = db.session.scalars(select(Department).order_by(Department.code)).all()
    heads = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([d.head_user_id for d in rows])))}
    return _render("departments", _status(form), form=form, rows=rows, heads=heads,
                   audit=_audit("department_added", "department_updated", "department_head_set"))


@bp.route("/departments/<code>", methods=["GET", "POST"])
def department(code: str) -> tuple[str, int] | Response:
    found = db.first_or_404(select(Department).where(Department.code == code))
    form = DepartmentForm(obj=None if request.method == "POST" else found)
    form.head.choices = _users()
    if request.method == "GET":
        head = db.session.get(User, found.head_user_id) if found.head_user_id else None
        form.head.data = head.login if head else ""
    if form.validate_on_submit():
        try:
            engine().update_department(code, form.name.data, form.head.data or None, actor())
        except InvalidInput as err:
            _engine_errors(form, err, "name")
        else:
            flash(_("Подразделение %(code)s сохранено.", code=code), "ok")
            return redirect(url_for("admin.department", code=code))
    return _render("department", _status(form), department=found, form=form,
                   audit=_audit("department_added", "department_updated", key="department", value=code))


# --- the responsibles table (REQUIREMENTS §7) -----------------------------------------------------------------
def _responsible_choices(form: ResponsibleForm) -> None:
    form.department.choices = _department_choices()
    form.user.choices = _users()


def _save_responsible(form: ResponsibleForm, responsible_id: int | None) -> bool:
    try:
        engine().save_responsible(responsible_id, form.department.data, form.position.data, form.person_name.data,
                                  form.user.data or None, form.active.data, actor())
    except InvalidInput as err:
        _engine_errors(form, err, "position")
        return False
    return True


@bp.route("/responsibles", methods=["GET", "POST"])
def responsibles() -> tuple[str, int] | Response:
    form = ResponsibleForm()
    _responsible_choices(form)
    if form.validate_on_submit() and _save_responsible(form, None):
        flash(_("Ответственный добавлен."), "ok")
        return redirect(url_for("admin.responsibles"))
    rows = db.session.execute(select(Responsible, Department).join(Department, Department.id ==
                                                                   Responsible.department_id)
                              .order_by(Department.code, Responsible.id)).all()
    return _render("responsibles", _status(form), form=form, rows=rows,
                   audit=_audit("responsible_created", "responsible_updated"))


@bp.route("/responsibles/<int:responsible_id>", methods=["GET", "POST"])
def responsible(responsible_id: int) -> tuple[str, int] | Response:
    found = db.get_or_404(Responsible, responsible_id)
    form = ResponsibleForm(obj=None if request.method == "POST" else found)
    _responsible_choices(form)
    if request.method == "GET":
        form.department.data = found.department.code
        form.user.data = found.user.login if found.user else ""
    if form.validate_on_submit() and _save_responsible(form, responsible_id):
        flash(_("Ответственный сохранён."), "ok")
        return redirect(url_for("admin.responsibles"))
    return _render("responsible", _status(form), responsible=found, form=form,
                   audit=_audit("responsible_created", "responsible_updated", key="responsible",
                                value=responsible_id))


# --- calendar overrides ---------------------------------------------------------------------------------------
PERIOD = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*$")


def _periods(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """`09:00-13:00, 14:00-17:00` → [("09:00", "13:00"), ("14:00", "17:00")], and what could not be read."""
    pairs, bad = [], []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text or ""))):
        match = PERIOD.match(part)
        if match is None:
            bad.append(part)
        else:
            pairs.append((match.group(1).zfill(5), match.group(2).zfill(5)))
    return pairs, bad


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> tuple[str, int]:
    """Preview shows the open deadlines the change would move, nothing saved; saving shows what moved."""
    form = OverrideForm()
    form.kind.choices = [(k, KIND_NAMES[k]) for k in KINDS]
    moves: list[dict[str, Any]] | None = None
    outcome = None
    action = request.form.get("action", "preview")
    if form.validate_on_submit():
        periods, bad = _periods(form.periods.data or "")
        if bad:
            form.periods.errors = [_("Не читается: %(part)s; укажите, например, 09:00-13:00.", part=", ".join(bad))]
        else:
            moves, outcome = _calendar_action(form, action, periods)
    rows = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day.desc())).all()
    return _render("calendar", _status(form), form=form, rows=rows, moves=moves, outcome=outcome, kinds=KIND_NAMES,
                   what_if=_what_if(), departments=_department_choices(),
                   audit=_audit("calendar_override_set", "calendar_override_removed"))


def _what_if() -> dict[str, Any]:
    """Every step's deadline for a registration at the moment asked (on a department's calendar when chosen): what
    `complaint-desk deadlines` prints."""
    typed = {"received_at": request.args.get("received_at", ""), "department": request.args.get("department", "")}
    if not typed["received_at"]:
        return {"typed": typed}
    desk = engine()
    try:
        naive = dt.datetime.fromisoformat(typed["received_at"])
    except ValueError:
        return {"typed": typed, "error": _("Укажите дату и время.")}
    zone = desk.calendars.of_department(typed["department"] or None).tz
    try:
        answer = desk.what_if(naive.replace(tzinfo=zone) if naive.tzinfo is None else naive,
                              typed["department"] or None)
    except InvalidInput as err:
        return {"typed": typed, "error": " ".join(m for ms in localized_fields(err.fields).values() for m in ms)}
    moments = {"steps": [{**s, "due_at": dt.datetime.fromisoformat(s["due_at"])} for s in answer["steps"]],
               "goal_at": dt.datetime.fromisoformat(answer["goal_at"]) if answer["goal_at"] else None}
    return {"typed": typed, "answer": {**answer, **moments}}


def _calendar_action(form: OverrideForm, action: str, periods: list[tuple[str, str]]
                     ) -> tuple[list[dict[str, Any]] | None, str | None]:
    day, remove = form.day.data, action in ("remove", "preview_remove")
    desk = engine()
    try:
        if action in ("preview", "preview_remove"):
            return desk.preview_calendar_override(day, form.kind.data, periods, form.note.data or "", actor(),
                                                  remove), action
        since = desk.runtime.clock()
        if remove:
            desk.remove_calendar_override(day, actor())
        else:
            desk.set_calendar_override(day, form.kind.data, periods, form.note.data or "", actor())
        return desk.recent_moves(since, day=day, removed=remove), "removed" if remove else "saved"
    except InvalidInput as err:
        fields = localized_fields(err.fields)
        for name, messages in fields.items():
            target = {"kind": form.kind, "day": form.day}.get(name, form.periods)
            target.errors = [*target.errors, *messages]
        return None, None


# --- notification templates -----------------------------------------------------------------------------------
@bp.route("/templates")
def templates() -> tuple[str, int]:
    rows = [(kind, *template(db.session, kind)) for kind in DEFAULTS]
    return _render("templates", rows=rows, audit=_audit("template_set"))


@bp.route("/templates/<kind>", methods=["GET", "POST"])
def template_page(kind: str) -> tuple[str, int] | Response:
    if kind not in DEFAULTS:
        abort(404)
    subject, body = template(db.session, kind)
    form = TemplateForm(data=None if request.method == "POST" else {"subject": subject, "body": body})
    preview = None
    if form.validate_on_submit():
        desk = engine()
        try:
            preview = desk.preview_template(kind, form.subject.data, form.body.data)
            if request.form.get("action") == "save":
                desk.set_template(kind, form.subject.data, form.body.data, actor())
                flash(_("Шаблон сохранён."), "ok")
                return redirect(url_for("admin.template_page", kind=kind))
        except InvalidInput as err:
            preview = None
            _engine_errors(form, err, "body")
    elif request.method == "GET":
        try:
            preview = engine().preview_template(kind, subject, body)
        except InvalidInput as err:  # a saved template that no longer renders: say so, under its field
            _engine_errors(form, err, "body")
    return _render("template", _status(form), kind=kind, form=form, preview=preview,
                   audit=_audit("template_set", key="kind", value=kind))


# --- API clients ----------------------------------------------------------------------------------------------
@bp.route("/api-clients", methods=["GET", "POST"])
def api_clients() -> tuple[str, int]:
    """The token is shown on the answer to the creating request only: it is stored as a hash, never again."""
    form = ApiClientForm()
    form.scopes.choices = [(s, s) for s in SCOPES]
    form.channels.choices = [(c, label(c)) for c in CHANNELS]
    form.user.choices = _users()
    created: tuple[ApiClient, str] | None = None
    if form.validate_on_submit():
        try:
            created = engine().create_api_client(form.name.data, form.scopes.data, form.user.data or None,
                                                 form.channels.data, actor())
        except InvalidInput as err:
            _engine_errors(form, err, "name")
        else:
            form = ApiClientForm(formdata=None)
            form.scopes.choices, form.channels.choices = [(s, s) for s in SCOPES], [(c, label(c)) for c in CHANNELS]
            form.user.choices = _users()
    rows = db.session.scalars(select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.name)).all()
    return _render("api_clients", _status(form), form=form, rows=rows, created=created,
                   audit=_audit("api_client_created", "api_client_revoked"))


@bp.route("/api-clients/<int:client_id>/revoke", methods=["POST"])
def revoke_api_client(client_id: int) -> Response:
    found = db.get_or_404(ApiClient, client_id)
    if found.revoked_at is None:
        engine().revoke_api_client(found.name, actor())
        flash(_("Доступ клиента %(name)s отозван.", name=found.name), "ok")
    return redirect(url_for("admin.api_clients"))


# --- the audit log --------------------------------------------------------------------------------------------
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
