"""People at work in a real browser: register, work stage 1, close both stages, read the card."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from engine import Actor, AppealInput, ProcessEngine
from tests.browser.conftest import shot, sign_in


def open_task(page: Any, base: str, step_text: str) -> None:
    page.goto(f"{base}/inbox")
    row = page.locator("table[data-test=inbox] tr", has_text=step_text).first
    if row.locator("[data-test=claim]").count():
        row.locator("[data-test=claim]").click()
        row = page.locator("table[data-test=inbox] tr", has_text=step_text).first
    row.locator("[data-test=open]").click()
    page.wait_for_selector("#task-form")


def yes(page: Any, name: str, value: bool = True) -> None:
    page.check(f"input[name={name}][value={'true' if value else 'false'}]")


def submit(page: Any) -> None:
    page.click("[data-test=complete]")
    page.wait_for_selector("[data-test=card-number]")


def test_complaint_from_registration_to_closed_stage_two(page: Any, live_server: str,
                                                          engine: ProcessEngine) -> None:
    engine.register_appeal(AppealInput(type="request", channel="email", subject="Вопрос по лицензии",
                                       text="Сколько стоит продление?", counterparty_name="ООО «Ромашка»",
                                       inn="7707083893"), Actor("operator"))
    base = live_server
    sign_in(page, base, "operator")
    page.goto(f"{base}/appeals/new")
    page.fill("input[name=inn]", "7707083893")
    page.wait_for_selector("#previous-appeals:not([hidden]) li")
    assert "Вопрос по лицензии" in page.inner_text("#previous-appeals")
    assert page.input_value("input[name=counterparty_name]") == "ООО «Ромашка»"
    assert "до " in page.inner_text("[data-test=script]")
    page.fill("input[name=contact_name]", "Петров Иван")
    page.fill("input[name=contact_phone]", "+7 900 000-00-00")
    page.select_option("select[name=department]", "ДКС")
    page.fill("input[name=subject]", "Не перезвонили, как обещали")
    page.fill("textarea[name=text]", "Сотрудник обещал перезвонить и не перезвонил.")
    shot(page, "01-registration")
    page.click("#register-form button[type=submit]")
    number = page.inner_text("[data-test=complaint-number]")
    assert "трёх рабочих дней" in page.inner_text("[data-test=script]")
    shot(page, "02-registered")

    sign_in(page, base, "responsible")
    page.goto(f"{base}/inbox")
    assert number in page.inner_text("table[data-test=inbox]")
    shot(page, "03-inbox")
    open_task(page, base, "1.1")
    yes(page, "belongs_to_department")
    submit(page)
    open_task(page, base, "1.2")
    assert "Внимательно выслушайте" in page.inner_text("[data-test=guidance]")
    shot(page, "04-first-contact-form")
    yes(page, "client_reached")
    page.fill("textarea[name=contact_summary]", "Извинились, договорились о звонке менеджера")
    submit(page)
    open_task(page, base, "1.3")
    page.select_option("select[name=justification]", "justified")
    page.select_option("select[name=importance]", "high")
    page.fill("textarea[name=correction]", "Менеджер перезвонит и закрепит ответственного")
    yes(page, "agreed_with_client")
    yes(page, "immediate", False)
    page.fill("input[name=implementation_date]", "2030-01-15")
    page.select_option("select[name=compensation]", "apology")
    shot(page, "05-correction-form")
    submit(page)
    open_task(page, base, "1.4")
    page.fill("input[name=implemented_at]", "2026-11-20T15:30")
    page.fill("textarea[name=implementation_note]", "Перезвонили, закрепили менеджера")
    page.set_input_files("input[name=evidence]", files=[
        {"name": "звонок.txt", "mimeType": "text/plain", "buffer": "Запись звонка 20.11".encode()}])
    submit(page)
    assert "звонок.txt" in page.inner_text("aside")
    open_task(page, base, "1.5")
    yes(page, "solution_works")
    page.fill("textarea[name=verification_note]", "Клиент подтвердил")
    submit(page)
    open_task(page, base, "1.6")
    yes(page, "satisfied")
    yes(page, "loyal")
    page.fill("textarea[name=handover_summary]", "Клиент доволен")
    submit(page)

    sign_in(page, base, "qms")
    open_task(page, base, "Закрыть этап коррекции")
    page.select_option("select[name=close_decision]", "close")
    submit(page)
    assert page.inner_text("[data-test=stage1]") == "Закрыт"
    open_task(page, base, "Проанализировать причины")
    page.select_option("select[name=participants-0-department]", "ДКС")
    page.fill("input[name=participants-0-actions]", "Разбор звонков")
    page.click("[data-add-row=participants]")
    page.select_option("select[name=participants-1-department]", "ОПР")
    page.fill("input[name=participants-1-actions]", "Проверка регламента")
    page.select_option("select[name=nonconformities-0-department]", "ДКС")
    page.fill("input[name=nonconformities-0-process]", "Обратный звонок")
    page.fill("input[name=nonconformities-0-description]", "Нет контроля обещанных звонков")
    page.fill("textarea[name=root_cause]", "Обещания не фиксируются")
    yes(page, "improvement_needed", False)
    shot(page, "06-analysis-form")
    submit(page)
    open_task(page, base, "Закрыть этап улучшения")
    page.select_option("select[name=stage2_decision]", "close")
    page.fill("textarea[name=stage2_conclusion]", "Введён контроль обещанных звонков")
    submit(page)

    assert page.inner_text("[data-test=stage2]") == "Закрыт"
    assert page.inner_text("[data-test=satisfied]") == "да" and page.inner_text("[data-test=loyal]") == "да"
    participants = page.inner_text("[data-test=participants]")
    assert "Разбор звонков" in participants and "Проверка регламента" in participants
    history = page.locator("[data-test=history] tbody tr")
    kinds = [history.nth(i).get_attribute("data-kind") for i in range(history.count())]
    assert kinds.count("task_completed") == 9 and kinds[0] == "started"
    steps = page.locator("[data-test=steps] tbody tr")
    expect(steps).to_have_count(6)
    assert "Выполнен" in steps.nth(3).inner_text()
    shot(page, "07-complaint-card")
    page.goto(f"{base}/complaints?q={number}")
    assert number in page.inner_text("[data-test=complaints]")
    shot(page, "08-complaints-list")
    page.goto(f"{base}/appeals?responsible=3")
    assert "Вопрос по лицензии" not in page.inner_text("[data-test=appeals]")
    page.goto(f"{base}/appeals")
    assert "Вопрос по лицензии" in page.inner_text("[data-test=appeals]")
    shot(page, "08b-appeals-list")
