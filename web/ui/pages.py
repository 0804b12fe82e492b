"""Sign-in, sign-out, the start page and the language switch."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from models import User, db
from web.ui import LANGUAGES

bp = Blueprint("pages", __name__)


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired()])
    password = PasswordField("Пароль", validators=[DataRequired()])


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.login == form.login.data, User.active.is_(True)))
        if user is not None and check_password_hash(user.password_hash, form.password.data or ""):
            login_user(user)
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("pages.home"))
        error = _("Неверный логин или пароль.")
    elif form.errors.get("csrf_token"):
        error = _("Страница устарела: войдите ещё раз.")
    return render_template("login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    return redirect(url_for("pages.login"))


@bp.route("/")
@login_required
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
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("pages.home"))
