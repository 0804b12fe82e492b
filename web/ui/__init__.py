"""The server-rendered UI: sign-in, registration, inbox, task forms, complaint card, lists — in Russian."""
from __future__ import annotations

from typing import Any

from flask import Flask, request, session
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
    from web.ui import complaints, intake, pages, public, reports, tasks
    from web.ui.formatting import register_filters

    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = None
    csrf.init_app(app)
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)
    babel.init_app(app, locale_selector=_locale, default_timezone=app.config["TIMEZONE"],
                   default_translation_directories="translations")
    for module in (pages, intake, tasks, complaints, public, reports):
        app.register_blueprint(module.bp)
    csrf.exempt(public.bp)
    register_filters(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from web.ui.access import headed_departments

        return {"current_lang": _locale(), "request_path": request.path, "headed_departments": headed_departments}


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None
