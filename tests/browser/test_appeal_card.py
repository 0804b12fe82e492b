"""The appeal card in Chromium: the responsible resolves one appeal, sets a reminder on another and turns a
third into a complaint, whose card opens with its first task."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import Appeal, Complaint, Task, db
from tests.browser.conftest import shot, sign_in
from tests.conftest import complaint_input


def _appeal(engine: ProcessEngine, subject: str) -> str:
    appeal, _c = engine.register_appeal(complaint_input(type="request", subject=subject), Actor("operator"))
    assert appeal.number
    return appeal.number


def test_the_responsible_handles_appeals_on_their_cards(page: Any, live_server: str, engine: ProcessEngine) -> None:
    resolved, reminded, converted = (_appeal(engine, s) for s in ("Счёт на ИТС", "Перезвонить в декабре",
                                                                    "Опять не работает обмен"))
    sign_in(page, live_server, "responsible")
    page.goto(f"{live_server}/appeals")
    page.click(f"[data-test=appeal-link]:text('{resolved}')")
    page.wait_for_selector("[data-test=resolve-form]")
    assert page.inner_text("[data-test=state]") == "Не обработан"
    page.click("[data-test=resolve-form] button")  # nothing typed: the message comes under the field
    assert "Напишите, как обращение обработано" in page.inner_text("[data-error-for=resolution]")
    page.fill("[data-test=resolve-form] textarea[name=resolution]", "Выслали счёт на продление ИТС")
    page.click("[data-test=resolve-form] button")
    page.wait_for_selector("[data-test=state]:text('Обработан')")
    assert page.inner_text("[data-test=resolution]").startswith("Выслали счёт на продление ИТС")
    assert page.inner_text("[data-test=closed-at]") != "—"
    expect(page.locator("[data-test=resolve-form]")).to_have_count(0)
    shot(page, "appeal-resolved")

    page.goto(f"{live_server}/appeals/{reminded}")
    day = dt.datetime.now(ZoneInfo("Europe/Moscow")).date() + dt.timedelta(days=7)
    page.fill("[data-test=reminder-form] input[name=remind_at]", f"{day.isoformat()}T10:30")
    page.click("[data-test=reminder-form] button")
    page.wait_for_selector(f"[data-test=remind-at]:text('{day.strftime('%d.%m.%Y')} 10:30')")
    assert page.inner_text("[data-test=state]") == "Не обработан"
    db.session.expire_all()
    assert db.session.scalar(select(Appeal.remind_at).where(Appeal.number == reminded)) == dt.datetime(
        day.year, day.month, day.day, 7, 30, tzinfo=dt.UTC)

    page.goto(f"{live_server}/appeals/{converted}")
    page.click("[data-test=complaint-form] button")
    page.wait_for_selector("[data-test=card-number]")
    db.session.expire_all()
    complaint = db.session.scalar(select(Complaint))
    assert complaint is not None and page.inner_text("[data-test=card-number]") == complaint.number
    assert page.inner_text("[data-test=basis-link]") == converted
    task = db.session.scalar(select(Task).where(Task.business_key == complaint.number, Task.status == "open"))
    assert task is not None and task.step == "1.1"
    shot(page, "appeal-turned-into-complaint")
    page.click("[data-test=basis-link]")
    page.wait_for_selector(f"[data-test=complaint-link]:text('{complaint.number}')")
    assert page.inner_text("[data-test=state]") == "Обработан"
