"""The stage-2 register in Chromium: QMS filters the nonconformities, gives a corrective task to a user with
a deadline in working days, and the assignee finds it in their inbox and reports it done."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from engine import ProcessEngine
from models import Complaint, db
from tests.browser.conftest import shot, sign_in
from tests.improvement.helpers import analysis_of, at_corrective_work

ONE = {"corrective_actions": [{"description": "Договор с чек-листом", "assignee": "ОПР",
                               "deadline": "2099-01-01"}]}


def test_qms_assigns_from_the_register_and_the_assignee_reports_from_the_inbox(
        page: Any, live_server: str, engine: ProcessEngine, register: Any) -> None:
    dks = at_corrective_work(engine, register)
    opr = at_corrective_work(engine, register, analysis_of("ОПР", "Продажи", "1С:УТ", "Не тот продукт"), ONE)
    action = db.session.scalar(select(Complaint).where(Complaint.number == opr)).corrective_actions[0]
    sign_in(page, live_server, "qms")
    page.click("[data-test=nav-improvement]")
    page.wait_for_selector("[data-test=register]")
    expect(page.locator("[data-nonconformity]")).to_have_count(2)
    page.select_option("[data-test=filters] select[name=department]", "ОПР")
    page.click("[data-test=filters] button")
    page.wait_for_url("**/improvement?department=*")
    rows = page.locator("[data-nonconformity]")
    expect(rows).to_have_count(1)
    assert opr in rows.inner_text() and dks not in rows.inner_text()
    task = page.locator(f"[data-action='{action.id}']")
    task.locator("select[name=assignee]").select_option("operator")
    task.locator("input[name=working_days]").fill("3")
    task.locator("button").click()
    page.wait_for_selector(".flash.ok")
    task = page.locator(f"[data-action='{action.id}']")
    assert task.locator("[data-test=assignee]").inner_text() == "Гордюкова Наталья (оператор)"
    assert task.locator("[data-test=status]").inner_text() == "В работе"
    deadline = task.locator("[data-test=deadline]").inner_text()
    assert "department=%D0%9E%D0%9F%D0%A0" in page.url or "department=ОПР" in page.url  # the filter is kept
    shot(page, "improvement-register")

    sign_in(page, live_server, "operator")
    page.click("text=Мои задачи")
    row = page.locator(f"[data-test=corrective-tasks] tr[data-action='{action.id}']")
    assert "Договор с чек-листом" in row.inner_text() and deadline in row.inner_text()
    shot(page, "inbox-corrective-task")
    row.locator("[data-test=done]").click()
    page.wait_for_selector(".flash.ok")
    expect(page.locator(f"tr[data-action='{action.id}']")).to_have_count(0)

    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/improvement?department=ОПР")
    assert page.locator(f"[data-action='{action.id}'] [data-test=status]").inner_text() == "Выполнен"
