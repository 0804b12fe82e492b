"""Pages under the Content-Security-Policy in a real browser: nothing the pages need is blocked."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from engine import ProcessEngine
from tests.browser.conftest import shot, sign_in


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_pages_and_api_docs_run_without_policy_violations(page: Any, live_server: str, engine: ProcessEngine,
                                                          register: Any) -> None:
    violations = _violations(page)
    number = register()
    sign_in(page, live_server, "qms")
    for path in ("/inbox", "/appeals/new", "/complaints", f"/complaints/{number}", "/account/password"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
    page.goto(f"{live_server}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Complaint desk API" in page.inner_text(".swagger-ui .info .title")
    shot(page, "security-api-docs-under-csp")
    assert violations == []


def test_a_copied_session_stops_working_after_sign_out(page: Any, live_server: str, engine: ProcessEngine,
                                                        browser: Any) -> None:
    sign_in(page, live_server, "qms")
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    thief = browser.new_context()
    try:
        stolen = thief.new_page()
        thief.add_cookies([session])
        stolen.goto(f"{live_server}/complaints")
        expect(stolen.locator("header .who")).to_have_count(1)
        page.click("header button:has-text('Выйти')")
        page.wait_for_url("**/login")
        answer = stolen.goto(f"{live_server}/complaints")
        assert answer.status == 401
        expect(stolen.locator("input[name=login]")).to_have_count(1)
        expect(stolen.locator("header .who")).to_have_count(0)
    finally:
        thief.close()
