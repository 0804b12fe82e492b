"""Per-request work the app leaves out or does once: each shortcut holds only while it changes no answer."""
from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter

from engine import ProcessEngine
from tests.test_security import _fail_login
from web.signin_limits import leave_out_the_per_request_check, limiter


def _in_blueprint() -> str:
    return "b"


def _plain() -> str:
    return "plain"


def _decorated() -> str:
    return "decorated"


def _app_with(limits: Limiter, blueprint_limit: bool = False) -> Flask:
    """A small app with a route in a blueprint, a plain route and a route with its own limit."""
    app = Flask(__name__)
    bp = Blueprint("b", __name__)
    bp.add_url_rule("/b", "b", _in_blueprint)
    if blueprint_limit:
        limits.limit("1 per day")(bp)
    app.add_url_rule("/plain", "plain", _plain)
    app.add_url_rule("/decorated", "decorated", limits.limit("1 per day")(_decorated))
    limits.init_app(app)
    app.register_blueprint(bp)
    leave_out_the_per_request_check(app, limits)
    return app


def test_the_app_has_no_per_request_limiter_check_and_still_limits_sign_in(app: Flask, engine: ProcessEngine) -> None:
    assert limiter._check_request_limit not in app.before_request_funcs[None]
    client = app.test_client()
    for i in range(5):
        assert _fail_login(client, "qms", f"10.0.1.{i}").status_code == 200
    assert _fail_login(client, "qms", "10.0.1.99").status_code == 429


def test_an_app_wide_or_a_blueprint_limit_keeps_the_per_request_check() -> None:
    app = _app_with(Limiter(key_func=lambda: "k", default_limits=["1 per day"], storage_uri="memory://"))
    client = app.test_client()
    assert [client.get("/plain").status_code for _ in range(2)] == [200, 429]
    app = _app_with(Limiter(key_func=lambda: "k", storage_uri="memory://"), blueprint_limit=True)
    client = app.test_client()
    assert [client.get("/b").status_code for _ in range(2)] == [200, 429]
    assert [client.get("/plain").status_code for _ in range(2)] == [200, 200]


def test_without_app_wide_limits_the_hook_goes_and_a_view_limit_still_holds() -> None:
    limits = Limiter(key_func=lambda: "k", storage_uri="memory://")
    app = _app_with(limits)
    assert limits._check_request_limit not in app.before_request_funcs[None]
    client = app.test_client()
    assert [client.get("/decorated").status_code for _ in range(2)] == [200, 429]
    assert [client.get("/plain").status_code for _ in range(2)] == [200, 200]
