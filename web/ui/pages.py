"""Sign-in, sign-out, the start page and the language switch."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from engine.column_checks import text_problem
from engine.errors import InvalidInput
from engine.people.directory import MIN_PASSWORD
from models import User, db
from web.security import local_target
from web.signin_limits import account_key, address_key, failed, limiter, per_account, per_address
from web.ui import LANGUAGES
from web.ui.messages import localized

bp = Blueprint("pages", __name__)


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired()])
    password = PasswordField("Пароль", validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Текущий пароль"), validators=[DataRequired()])
    new = PasswordField(_l("Новый пароль"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD, message=_l("Не короче %(n)s символов.", n=MIN_PASSWORD))])
    repeat = PasswordField(_l("Новый пароль ещё раз"), validators=[
        DataRequired(), EqualTo("new", message=_l("Пароли не совпадают."))])


def _too_many(_limit: RequestLimit) -> Response:
    """A clear page instead of a bare 429: what happened and when to try again; the login stays typed."""
    form = LoginForm()
    error = _("Слишком много неудачных попыток входа. Попробуйте снова через 15 минут.")
    return make_response(render_template("login.html", form=form, error=error), 429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(per_address, key_func=address_key, methods=["POST"], deduct_when=failed, on_breach=_too_many)
@limiter.limit(per_account, key_func=account_key, methods=["POST"], deduct_when=failed, on_breach=_too_many)
def login() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.login == form.login.data, User.active.is_(True)))
        if user is not None and check_password_hash(user.password_hash, form.password.data or ""):
            login_user(user)
            return redirect(local_target(request.args.get("next")) or url_for("pages.home"))
        error = _("Неверный логин или пароль.")
    elif form.errors.get("csrf_token"):
        error = _("Страница устарела: войдите ещё раз.")
    return render_template("login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        _engine().sign_out_everywhere(current_user.id)
    logout_user()
    return redirect(url_for("pages.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> str | Response:
    """A new password ends every other session of this user; this browser stays signed in."""
    form = PasswordForm()
    done = False
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current.data or ""):
            form.current.errors = [_("Неверный текущий пароль.")]
        elif problem := text_problem(form.new.data or "", typed=True):
            # Invalid UTF-8 arrives as U+FFFD: a password nobody could type again (see hostile_input).
            form.new.errors = [localized(problem)]
        else:
            try:
                user = _engine().set_password(current_user.id, form.new.data or "")
            except InvalidInput:
                form.new.errors = [_("Не короче %(n)s символов.", n=MIN_PASSWORD)]
            else:
                login_user(user)
                done = True
    return render_template("password.html", form=form, done=done)


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


@bp.route("/")
def home() -> Response:
    if current_user.has_role("responsible") or current_user.has_role("qms"):
        return redirect(url_for("tasks.inbox"))
    if current_user.has_role("operator"):
        return redirect(url_for("intake.register"))
    return redirect(url_for("complaints.complaint_list"))


@bp.route("/lang/<code>", methods=["POST"])
def language(code: str) -> Response:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(local_target(request.form.get("next")) or url_for("pages.home"))
