"""Secrets, sessions, sign-in limits, redirects and security headers, tried the way an attacker would."""
from __future__ import annotations

import socket
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from engine import ProcessEngine
from tests.test_ui_pages import signed_in, token
from web.app import create_app
from web.config import TestingConfig
from web.security import MissingSecretKey, local_target


def _client_with_cookie_of(app: Flask, other: FlaskClient) -> FlaskClient:
    copy = app.test_client()
    cookie = other.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    return copy


def _signed_in_as_qms(copy: FlaskClient) -> bool:
    # The fixture keeps one app context open for the whole test, so Flask-Login's per-context user would
    # leak from one client's request into the next: forget it, as a new request in production does.
    g.pop("_login_user", None)
    answer = copy.get("/complaints")
    return answer.status_code == 200 and "Выйти" in answer.get_data(as_text=True)


def test_a_real_deployment_refuses_to_start_without_a_secret_key(config: type[TestingConfig]) -> None:
    class NoKey(config):  # type: ignore[valid-type, misc]
        TESTING = False
        SECRET_KEY = ""

    with pytest.raises(MissingSecretKey, match="SECRET_KEY"):
        create_app(NoKey)

    class PlaceholderKey(NoKey):
        SECRET_KEY = "dev-only-change-me"

    with pytest.raises(MissingSecretKey, match="SECRET_KEY"):
        create_app(PlaceholderKey)


def test_logging_out_ends_a_copied_cookie_too(app: Flask, engine: ProcessEngine) -> None:
    original = signed_in(app, "qms")
    copy = _client_with_cookie_of(app, original)
    assert _signed_in_as_qms(copy)
    logout_page = original.get("/complaints").get_data(as_text=True)
    original.post("/logout", data={"csrf_token": token(logout_page)})
    assert not _signed_in_as_qms(copy)
    assert copy.get("/complaints").status_code == 401
    # Signing in again works, with a new session.
    assert _signed_in_as_qms(signed_in(app, "qms"))


def test_a_new_password_ends_other_sessions_but_keeps_this_one(app: Flask, engine: ProcessEngine) -> None:
    mine, elsewhere = signed_in(app, "qms"), signed_in(app, "qms")
    g.pop("csrf_token", None)
    form = mine.get("/account/password").get_data(as_text=True)
    short = mine.post("/account/password", data={"current": "demo", "new": "short", "repeat": "short",
                                                   "csrf_token": token(form)})
    assert "Не короче 8 символов." in short.get_data(as_text=True)
    wrong = mine.post("/account/password", data={"current": "nope", "new": "long-enough-1", "repeat": "long-enough-1",
                                                   "csrf_token": token(form)})
    assert "Неверный текущий пароль." in wrong.get_data(as_text=True)
    assert _signed_in_as_qms(elsewhere)
    done = mine.post("/account/password", data={"current": "demo", "new": "long-enough-1",
                                                  "repeat": "long-enough-1", "csrf_token": token(form)})
    assert "Все другие сеансы завершены." in done.get_data(as_text=True)
    assert _signed_in_as_qms(mine)
    assert not _signed_in_as_qms(elsewhere)
    g.pop("csrf_token", None)
    fresh = app.test_client()
    page = fresh.get("/login").get_data(as_text=True)
    old = fresh.post("/login", data={"login": "qms", "password": "demo", "csrf_token": token(page)})
    assert old.status_code == 200 and "Неверный логин или пароль." in old.get_data(as_text=True)
    new = fresh.post("/login", data={"login": "qms", "password": "long-enough-1", "csrf_token": token(page)})
    assert new.status_code == 302


def test_deactivating_a_user_ends_their_sessions(app: Flask, engine: ProcessEngine) -> None:
    client = signed_in(app, "qms")
    assert _signed_in_as_qms(client)
    engine.deactivate_user("qms")
    assert not _signed_in_as_qms(client)


def test_session_cookie_is_httponly_lax_and_secure_over_https(app: Flask, engine: ProcessEngine) -> None:
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        page = client.get("/login", base_url=base).get_data(as_text=True)
        answer = client.post("/login", base_url=base, headers={"Referer": f"{base}/login"},
                             data={"login": "qms", "password": "demo", "csrf_token": token(page)})
        assert answer.status_code == 302
        cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
        g.pop("csrf_token", None)


def _fail_login(client: FlaskClient, login: str, address: str) -> Any:
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"login": login, "password": "wrong", "csrf_token": token(page)},
                       environ_base={"REMOTE_ADDR": address})


def test_sign_in_attempts_are_limited_per_account(app: Flask, engine: ProcessEngine) -> None:
    client = app.test_client()
    for i in range(5):
        assert _fail_login(client, "qms", f"10.0.0.{i}").status_code == 200
    refused = _fail_login(client, "QMS ", "10.0.0.99")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Слишком много неудачных попыток входа" in html
    assert 'value="QMS "' in html or "value=\"QMS \"" in html  # what was typed stays
    # Even the right password waits now; another account is not affected.
    page = client.get("/login").get_data(as_text=True)
    right = client.post("/login", data={"login": "qms", "password": "demo", "csrf_token": token(page)})
    assert right.status_code == 429
    assert _fail_login(client, "operator", "10.0.0.99").status_code == 200


def test_sign_in_attempts_are_limited_per_address(app: Flask, engine: ProcessEngine) -> None:
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    client = app.test_client()
    for login in ("a1", "a2", "a3"):
        assert _fail_login(client, login, "192.0.2.7").status_code == 200
    assert _fail_login(client, "a4", "192.0.2.7").status_code == 429
    assert _fail_login(client, "a4", "192.0.2.8").status_code == 200


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
def test_the_limit_is_counted_in_storage_every_worker_shares(_schema: None, config: type[TestingConfig]) -> None:
    """Two app processes (here: two apps built one after the other, each with its own connection) count
    the same attempts when the storage is Redis, as the README prescribes for several workers."""
    class Shared(config):  # type: ignore[valid-type, misc]
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
        RATELIMIT_KEY_PREFIX = f"test-{uuid.uuid4().hex}"

    def app_with_users() -> Flask:
        app = create_app(Shared)
        return app

    first = app_with_users()
    with first.app_context():
        client = first.test_client()
        for _ in range(5):
            assert _fail_login(client, "nobody", "198.51.100.1").status_code == 200
    second = app_with_users()
    with second.app_context():
        assert _fail_login(second.test_client(), "nobody", "198.51.100.2").status_code == 429


HOSTILE_TARGETS = [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", " //evil.example", "\x01//evil.example", "/%2F%2Fevil.example", "/%5Cevil.example",
    "javascript:alert(1)", "http:/evil.example", "/\x00/evil", "///evil.example", "\t/\\evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_redirect_targets_that_leave_the_site_are_refused(target: str) -> None:
    assert local_target(target) is None


def test_redirect_targets_on_the_site_are_kept() -> None:
    assert local_target("/complaints?status=open&q=a%20b") == "/complaints?status=open&q=a%20b"
    assert local_target("/tasks/abc") == "/tasks/abc"


@pytest.mark.parametrize("target", [*HOSTILE_TARGETS, "/\ud800", "/" + "a" * 5000])
def test_sign_in_and_language_switch_never_leave_the_site(app: Flask, engine: ProcessEngine, target: str) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    encoded = quote(target, safe="", errors="surrogatepass")  # a lone surrogate arrives as invalid UTF-8
    answer = client.post(f"/login?next={encoded}",
                         data={"login": "qms", "password": "demo", "csrf_token": token(page)})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location
    switched = client.post("/lang/en", data=f"next={encoded}&csrf_token={token(page)}",
                           content_type="application/x-www-form-urlencoded")
    assert switched.status_code == 302
    assert switched.headers["Location"].startswith("/") and "evil" not in switched.headers["Location"]
    g.pop("csrf_token", None)


def test_security_headers_on_pages_and_embeddable_public_forms(app: Flask, engine: ProcessEngine) -> None:
    app.config["FRAME_ANCESTORS"] = ["https://www.company.example"]
    client = app.test_client()
    staff = client.get("/login")
    csp = staff.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert staff.headers["X-Frame-Options"] == "DENY"
    assert staff.headers["X-Content-Type-Options"] == "nosniff"
    assert staff.headers["Referrer-Policy"] == "same-origin"
    public = client.get("/feedback")
    assert public.status_code == 200
    assert "frame-ancestors 'self' https://www.company.example" in public.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in public.headers
    api = client.get("/api/v1/openapi.json")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
