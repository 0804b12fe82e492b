"""Per-request work the app leaves out or does once: each shortcut holds only while it changes no answer."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, g
from flask_limiter import Limiter

from engine import ProcessEngine
from tests.test_security import _fail_login
from tests.test_ui_pages import signed_in
from web.security import add_headers
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


def test_the_security_headers_follow_the_configured_origins_and_keep_what_a_view_set(
        app: Flask, engine: ProcessEngine) -> None:
    """The header values are built once per set of origins: a change of FRAME_ANCESTORS shows on the next
    request, and a header the view set itself is not replaced or doubled."""
    client = app.test_client()
    app.config["FRAME_ANCESTORS"] = ["https://one.example"]
    assert "frame-ancestors 'self' https://one.example" in client.get("/feedback").headers["Content-Security-Policy"]
    app.config["FRAME_ANCESTORS"] = ["https://two.example", "https://three.example"]
    framed = client.get("/feedback").headers
    assert framed["Content-Security-Policy"].endswith("frame-ancestors 'self' https://two.example https://three.example")
    assert "X-Frame-Options" not in framed
    staff = client.get("/login").headers
    assert staff["Content-Security-Policy"].endswith("frame-ancestors 'none'") and staff["X-Frame-Options"] == "DENY"

    with app.test_request_context("/login"):
        own = add_headers(Response("x", headers={"X-Frame-Options": "SAMEORIGIN",
                                                 "referrer-policy": "no-referrer"})).headers
    assert own.getlist("X-Frame-Options") == ["SAMEORIGIN"] and own.getlist("Referrer-Policy") == ["no-referrer"]
    assert own["X-Content-Type-Options"] == "nosniff" and "frame-ancestors 'none'" in own["Content-Security-Policy"]


def test_the_session_signer_follows_a_change_of_the_secret_key(app: Flask, engine: ProcessEngine) -> None:
    """The signing serializer is kept between requests: a new SECRET_KEY must end the old cookies on the next
    request, and listing the old key in SECRET_KEY_FALLBACKS must honour them again."""
    client = signed_in(app, "qms")

    def inbox() -> int:
        g.pop("_login_user", None)  # the test's app context outlives each request: Flask-Login keeps its user there
        return client.get("/inbox").status_code

    assert inbox() == 200
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = old + "-rotated"
    assert inbox() == 401
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert inbox() == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert inbox() == 401
