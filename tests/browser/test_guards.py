"""What people must not lose or reach: bad input keeps what was typed; a missing role gets 403."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from engine import ProcessEngine
from tests.browser.conftest import shot, sign_in


def test_bad_task_data_shows_errors_and_keeps_the_input(page: Any, live_server: str, engine: ProcessEngine,
                                                        register: Any) -> None:
    number = register()
    sign_in(page, live_server, "responsible")
    for step, fill in (("1.1", {"belongs_to_department": "true"}), ("1.2", {"client_reached": "true"})):
        page.goto(f"{live_server}/inbox")
        page.locator("table[data-test=inbox] tr", has_text=number).locator("[data-test=open]").click()
        for name, value in fill.items():
            page.check(f"input[name={name}][value={value}]")
        if step == "1.2":
            page.fill("textarea[name=contact_summary]", "Дозвонились")
        page.click("[data-test=complete]")
    page.goto(f"{live_server}/inbox")
    page.locator("table[data-test=inbox] tr", has_text=number).locator("[data-test=open]").click()
    page.fill("textarea[name=facts]", "Звонок от 20.11 не найден в записях")
    page.select_option("select[name=justification]", "justified")
    page.check("input[name=immediate][value=false]")
    page.click("[data-test=complete]")
    page.wait_for_selector("[data-test=form-errors]")
    shot(page, "09-task-form-errors")
    assert page.input_value("textarea[name=facts]") == "Звонок от 20.11 не найден в записях"
    assert page.input_value("select[name=justification]") == "justified"
    assert page.is_checked("input[name=immediate][value=false]")
    assert page.inner_text("[data-error-for=correction]") == "Обязательное поле."
    assert page.inner_text("[data-error-for=implementation_date]") == "Обязательное поле."


def test_bad_registration_keeps_what_was_typed(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "operator")
    page.goto(f"{live_server}/appeals/new")
    page.fill("input[name=counterparty_name]", "ООО Тест")
    page.fill("input[name=inn]", "7707083894")
    page.fill("input[name=subject]", "Тема")
    page.fill("textarea[name=text]", "Длинный рассказ клиента, который нельзя потерять")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("[data-test=form-errors]")
    shot(page, "10-registration-errors")
    assert "Контрольные цифры ИНН" in page.inner_text("[data-error-for=inn]")
    assert page.input_value("textarea[name=text]") == "Длинный рассказ клиента, который нельзя потерять"
    assert page.input_value("input[name=counterparty_name]") == "ООО Тест"


def test_pages_refuse_roles_that_lack_them(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "operator")
    # Every signed-in user has an inbox (a corrective task may be given to anyone); the incidents are not theirs.
    answer = page.goto(f"{live_server}/incidents")
    assert answer.status == 403 and "Доступ запрещён" in page.inner_text("main")
    shot(page, "11-forbidden")
    sign_in(page, live_server, "executive")
    assert page.goto(f"{live_server}/appeals/new").status == 403
    assert page.goto(f"{live_server}/complaints").status == 200
    page.context.clear_cookies()
    answer = page.goto(f"{live_server}/complaints?q=Ромашка")
    assert answer.status == 401
    expect(page.locator("input[name=login]")).to_have_count(1)
    page.fill("input[name=login]", "executive")
    page.fill("input[name=password]", "demo")
    page.click("main button[type=submit]")
    page.wait_for_selector("header .who")
    assert page.url.endswith("/complaints?q=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0") or \
        page.url.endswith("/complaints?q=Ромашка")


def test_english_is_one_click_away(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/complaints")
    assert page.inner_text("h1").startswith("Претензии")
    page.click("[data-test=lang]")
    page.wait_for_load_state()
    assert page.inner_text("h1").startswith("Complaints")
    assert "My tasks" in page.inner_text("header nav")
    shot(page, "12-english")


def test_agreed_date_in_the_past_is_refused_with_the_input_kept(page: Any, live_server: str,
                                                                 engine: ProcessEngine, register: Any) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.engine.test_paths import ACCEPT, REACHED, Walker

    number = register()
    Walker(engine, number, False).walk([("accept", ACCEPT), ("first_contact", REACHED)])
    week_ago = dt.datetime.now(ZoneInfo("Europe/Moscow")).date() - dt.timedelta(days=7)
    sign_in(page, live_server, "responsible")
    page.goto(f"{live_server}/inbox")
    page.locator("table[data-test=inbox] tr", has_text=number).locator("[data-test=open]").click()
    page.select_option("select[name=justification]", "justified")
    page.select_option("select[name=importance]", "high")
    page.fill("textarea[name=correction]", "Перенесём базу на SSD")
    page.check("input[name=agreed_with_client][value=true]")
    page.check("input[name=immediate][value=false]")
    page.select_option("select[name=compensation]", "apology")
    page.fill("input[name=implementation_date]", week_ago.isoformat())
    page.click("[data-test=complete]")
    page.wait_for_selector("[data-test=form-errors]")
    shot(page, "09b-agreed-date-in-the-past")
    assert page.inner_text("[data-error-for=implementation_date]") == "Дата не может быть в прошлом."
    assert page.input_value("input[name=implementation_date]") == week_ago.isoformat()
    assert page.input_value("textarea[name=correction]") == "Перенесём базу на SSD"


def test_previous_appeals_show_the_company_date_whatever_the_browser_zone(
        browser: Any, live_server: str, engine: ProcessEngine) -> None:
    import datetime as dt

    from engine import Actor, AppealInput

    # 01:30 in Moscow on the 24th is still the 23rd in New York.
    engine.register_appeal(AppealInput(type="request", channel="email", subject="Вопрос по лицензии",
                                       text="Сколько стоит продление?", counterparty_name="ООО «Ромашка»",
                                       inn="7707083893",
                                       received_at=dt.datetime.fromisoformat("2026-11-24T01:30:00+03:00")),
                           Actor("operator"))
    context = browser.new_context(locale="ru-RU", timezone_id="America/New_York")
    page = context.new_page()
    try:
        sign_in(page, live_server, "operator")
        page.goto(f"{live_server}/appeals/new")
        page.fill("input[name=inn]", "7707083893")
        page.wait_for_selector("#previous-appeals:not([hidden]) li")
        assert " · 24.11.2026 · Вопрос по лицензии" in page.inner_text("#previous-appeals li")
        shot(page, "05b-previous-appeals-company-date")
    finally:
        context.close()


def test_stage2_with_an_undone_corrective_task_closes_only_with_a_reason(
        page: Any, live_server: str, engine: ProcessEngine, register: Any) -> None:
    from tests.engine.test_paths import (
        ACCEPT,
        ANALYSIS,
        CLOSE1,
        CORRECT_NOW,
        HANDOVER,
        PLAN,
        REACHED,
        REPORT,
        WORKS,
        Walker,
    )

    number = register()
    unfinished = {**REPORT, "corrective_actions": [{**REPORT["corrective_actions"][0], "status": "in_progress",
                                                    "done_on": None}]}
    del unfinished["corrective_actions"][0]["done_on"]
    Walker(engine, number, False).walk([
        ("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW), ("verify", WORKS),
        ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), ("qms_analysis", ANALYSIS),
        ("qms_plan_actions", PLAN), ("report_actions", unfinished)])
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/inbox")
    page.locator("table[data-test=inbox] tr", has_text=number).locator("[data-test=open]").click()
    page.select_option("select[name=stage2_decision]", "close")
    page.fill("textarea[name=stage2_conclusion]", "Причина устранена")
    page.click("[data-test=complete]")
    page.wait_for_selector("[data-test=form-errors]")
    shot(page, "09c-stage2-close-refused")
    assert page.inner_text("[data-error-for=open_tasks_reason]") == (
        "Не выполнены корректирующие задачи: Написать регламент. Укажите, почему этап всё же закрывается.")
    assert page.input_value("textarea[name=stage2_conclusion]") == "Причина устранена"
    page.fill("textarea[name=open_tasks_reason]", "Регламент утверждается приказом, контроль — в плане аудита")
    page.click("[data-test=complete]")
    page.wait_for_selector("[data-test=card-number]")
    assert page.inner_text("[data-test=stage2]") == "Закрыт"
    assert "Регламент утверждается приказом, контроль — в плане аудита" in page.inner_text("[data-test=history]")
