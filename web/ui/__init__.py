"""The server-rendered UI: sign-in, registration, inbox, task forms, complaint card, lists — in Russian."""
from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from models import User, db

LANGUAGES = ("ru", "en")
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "ru"


def register(app: Flask, api_blueprints: list[Any]) -> None:
    from web.ui import (
        admin,
        appeals,
        calendars,
        client_pages,
        complaints,
        conversation,
        history,
        improvement,
        incidents,
        intake,
        modeler,
        pages,
        privacy,
        process_changes,
        processes,
        public,
        reports,
        tasks,
    )
    from web.ui.formatting import register_filters

    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = None
    csrf.init_app(app)
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)
    babel.init_app(app, locale_selector=_locale, default_timezone=app.config["TIMEZONE"],
                   default_translation_directories="translations")
    for module in (pages, intake, tasks, complaints, appeals, improvement, conversation, public, client_pages,
                   processes, incidents, calendars, reports, process_changes, admin, privacy, history, modeler):
        app.register_blueprint(module.bp)
    csrf.exempt(public.bp)
    csrf.exempt(client_pages.bp)
    register_filters(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from web.ui.access import headed_departments

        return {"current_lang": _locale(), "request_path": request.path, "headed_departments": headed_departments}


@login_manager.unauthorized_handler
def _sign_in_first() -> tuple[str, int]:
    """401 with the sign-in form right here; after signing in the person comes back to this page."""
    from web.ui.pages import LoginForm

    query = request.query_string.decode("latin-1")
    target = request.path + (f"?{query}" if query and request.method == "GET" else "")
    return render_template("login.html", form=LoginForm(formdata=None), error=None, next=target), 401


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The session names the user and the epoch it was signed in under; a raised epoch (sign-out, a new
    password, deactivation) turns every older cookie, copies included, into no session at all."""
    user_id, _, epoch = session_id.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user
