"""The complaint card reads like a document: form titles, words, company time, small tables, file links."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from engine import Actor, NewFile, ProcessEngine
from models import Task, db
from tests.browser.conftest import shot, sign_in
from tests.engine.test_paths import ACCEPT, ANALYSIS, CLOSE1, HANDOVER, REACHED, WORKS, Walker


def _walk_with_a_file(engine: ProcessEngine, number: str, agreed: dt.date) -> None:
    walker = Walker(engine, number, False)
    walker.walk([("accept", ACCEPT), ("first_contact", REACHED), ("correction", {
        "justification": "partly_justified", "importance": "high", "correction": "Перенесём базу на SSD",
        "agreed_with_client": True, "immediate": False, "implementation_date": agreed.isoformat(),
        "compensation": "discount_coupon"})])
    task = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
    engine.complete_task(task.id, {"implemented_at": "2026-11-26T12:00:00+00:00",
                                   "implementation_note": "Перенесли базу"}, Actor("tester"),
                         {"evidence": NewFile("акт.pdf", "application/pdf", b"%PDF-1.4")})
    walker.walk([("verify", WORKS), ("handover", HANDOVER), ("qms_close_stage1", CLOSE1),
                 ("qms_analysis", ANALYSIS)])
    plan = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
    engine.assign(plan.id, "owner", Actor("tester"), "Владелец процесса ставит задачи")


def test_history_shows_form_titles_words_local_times_tables_and_links(
        page: Any, live_server: str, engine: ProcessEngine, register: Any) -> None:
    number = register()
    agreed = dt.datetime.now(ZoneInfo("Europe/Moscow")).date() + dt.timedelta(days=3)
    _walk_with_a_file(engine, number, agreed)
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/complaints/{number}")
    correction = page.locator("[data-test=history] tr[data-kind=task_completed]", has_text="Обоснованность")
    text = correction.inner_text()
    assert "1.3 Выработать коррекцию и согласовать с клиентом" in text
    assert "Частично обоснованная" in text and "partly_justified" not in text
    assert "Коррекция согласована с клиентом\nда" in text and "True" not in text
    assert f"Срок внедрения, согласованный с клиентом\n{agreed.strftime('%d.%m.%Y')}" in text
    assert "Купон на скидку при следующей покупке" in text
    implemented = page.locator("[data-test=history] tr[data-kind=task_completed]", has_text="Когда коррекция")
    assert "26.11.2026 15:00" in implemented.inner_text() and "+00:00" not in implemented.inner_text()
    link = implemented.locator("a", has_text="акт.pdf")
    assert link.get_attribute("href").startswith("/attachments/")
    analysis = page.locator("[data-test=history] tr[data-kind=task_completed]", has_text="Участники разбора")
    assert analysis.locator("table.rows").first.locator("th").all_inner_texts() == ["Подразделение",
                                                                                    "Действия по разбору"]
    expect(analysis.locator("table.rows").first.locator("tbody tr")).to_have_count(2)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.inner_text("[data-test=history]")), "raw ISO date shown"
    assert "Поставить корректирующие задачи" in page.inner_text("[data-test=assignments]")
    shot(page, "07b-card-history")

    page.click("[data-test=lang]")
    page.wait_for_load_state()
    english = page.locator("[data-test=history] tr[data-kind=task_completed]", has_text="Justification").inner_text()
    assert "1.3 Work out the correction and agree it with the client" in english
    assert "Correction agreed with the client\nyes" in english
    assert "Discount coupon for the next purchase" in english
    assert "Set the corrective tasks" in page.inner_text("[data-test=assignments]")
    shot(page, "07c-card-history-english")


def test_the_task_form_speaks_english_on_the_english_page(page: Any, live_server: str, engine: ProcessEngine,
                                                          register: Any) -> None:
    number = register()
    Walker(engine, number, False).walk([("accept", ACCEPT), ("first_contact", REACHED)])
    sign_in(page, live_server, "responsible")
    page.click("[data-test=lang]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/inbox")
    row = page.locator("table[data-test=inbox] tr", has_text=number)
    assert "Work out the correction and agree it with the client" in row.inner_text()
    row.locator("[data-test=open]").click()
    assert "Correction given at once" in page.inner_text("[data-field=immediate]")
    assert page.locator("select[name=compensation] option[value=discount_coupon]").inner_text() == \
        "Discount coupon for the next purchase"
