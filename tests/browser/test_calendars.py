"""QMS gives a branch its own calendar in the browser; the branch's complaint pages follow its time zone."""
from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from engine import ProcessEngine
from models import Complaint, Deadline, DepartmentCalendar, db
from tests.browser.conftest import shot, sign_in

YEKT = ZoneInfo("Asia/Yekaterinburg")


def test_qms_sets_a_branch_calendar_and_the_card_shows_branch_time(page: Any, live_server: str,
                                                                    engine: ProcessEngine, register: Any) -> None:
    number = register()
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/calendar/departments")
    page.click("[data-test=department-calendars] a:text-is('ДКС')")
    page.fill("input[name=timezone]", "Asia/Ekaterinburg-typo")
    page.fill("textarea[name=holidays]", "2030-01-09 региональный праздник")
    page.click("[data-test=save]")
    page.wait_for_selector("[data-test=form-errors]")
    assert "Неизвестный часовой пояс: Asia/Ekaterinburg-typo" in page.inner_text("[data-error-for=timezone]")
    assert page.input_value("textarea[name=holidays]") == "2030-01-09 региональный праздник"
    page.fill("input[name=timezone]", "Asia/Yekaterinburg")
    page.click("[data-test=save]")
    page.wait_for_selector(".flash")
    assert "Календарь сохранён" in page.inner_text("main")
    assert page.inner_text("[data-test=calendar-state]") == "Свой календарь: Asia/Yekaterinburg"
    shot(page, "15-department-calendar")
    db.session.expire_all()
    own = db.session.scalars(select(DepartmentCalendar)).one()
    assert own.timezone == "Asia/Yekaterinburg" and own.holidays == [["2030-01-09", "региональный праздник"]]

    page.goto(f"{live_server}/complaints/{number}")
    assert page.inner_text("[data-test=page-zone]") == "Время на странице: Asia/Yekaterinburg (UTC+05:00)"
    complaint = db.session.scalars(select(Complaint).where(Complaint.number == number)).one()
    registered = complaint.registered_at.astimezone(YEKT).strftime("%d.%m.%Y %H:%M")
    assert registered in page.inner_text("h1")
    due = db.session.scalars(select(Deadline).where(Deadline.business_key == number, Deadline.step == "1.1")).one()
    assert due.due_at.astimezone(YEKT).strftime("%d.%m.%Y %H:%M") in page.inner_text("[data-step='1.1']")
    shot(page, "16-branch-card")
    sign_in(page, live_server, "responsible")
    page.goto(f"{live_server}/inbox")
    row = page.locator("table[data-test=inbox] tr", has_text=number)
    assert f"{due.due_at.astimezone(YEKT).strftime('%d.%m.%Y %H:%M')} (UTC+05:00)" in row.inner_text()


def test_only_qms_keeps_calendars(page: Any, live_server: str, engine: ProcessEngine) -> None:
    answer = page.goto(f"{live_server}/calendar/departments/ДКС")
    assert answer.status == 401
    expect(page.locator("input[name=login]")).to_have_count(1)
    sign_in(page, live_server, "responsible")
    assert page.goto(f"{live_server}/calendar/departments").status == 403
    assert page.goto(f"{live_server}/calendar/departments/ДКС").status == 403
    sign_in(page, live_server, "qms")
    assert page.goto(f"{live_server}/calendar/departments/ДКС").status == 200
    assert page.goto(f"{live_server}/calendar/departments/НЕТ").status == 404


def test_an_extra_day_off_moves_the_deadline_in_the_inbox_and_on_the_card(
        page: Any, live_server: str, engine: ProcessEngine, register: Any) -> None:
    from engine import Actor

    msk = ZoneInfo("Europe/Moscow")
    number = register()
    due = db.session.scalars(select(Deadline).where(Deadline.business_key == number, Deadline.step == "1.1")).one()
    before = due.due_at.astimezone(msk)
    engine.set_calendar_override(before.date(), "day_off", [], "внеплановый выходной", Actor("qms"))
    db.session.expire_all()
    after = db.session.scalars(select(Deadline).where(Deadline.business_key == number,
                                                      Deadline.step == "1.1")).one().due_at.astimezone(msk)
    assert after.date() > before.date()
    sign_in(page, live_server, "responsible")
    page.goto(f"{live_server}/inbox")
    row = page.locator("table[data-test=inbox] tr", has_text=number)
    assert after.strftime("%d.%m.%Y %H:%M") in row.inner_text()
    assert before.strftime("%d.%m.%Y %H:%M") not in row.inner_text()
    page.goto(f"{live_server}/complaints/{number}")
    assert after.strftime("%d.%m.%Y %H:%M") in page.inner_text("[data-step='1.1']")
    # The step as the row names it ("1.1: …"): a bare "1.1" is also in a date such as 01.12.
    moved = page.locator("[data-test=history] tr[data-kind=deadline_moved]", has_text=re.compile(r"(^|\s)1\.1:"))
    assert f"{before.strftime('%d.%m.%Y %H:%M')} → {after.strftime('%d.%m.%Y %H:%M')}" in moved.inner_text()
    assert "Срок пересчитан по календарю" in moved.inner_text()
    shot(page, "17-deadline-moved")
