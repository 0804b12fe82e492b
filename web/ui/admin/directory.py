"""Administration: the directory — users, departments and their responsibles."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from engine.errors import InvalidInput
from engine.people.directory import MIN_PASSWORD
from models import ROLES, Department, Responsible, User, db
from web.queries import engine
from web.ui.access import actor
from web.ui.admin import (
    REQUIRED,
    ROLE_NAMES,
    SHORT,
    MultiCheckbox,
    _audit,
    _department_choices,
    _engine_errors,
    _render,
    _status,
    _users,
    bp,
)


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
