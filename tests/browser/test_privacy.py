"""QMS erases a client's personal data in the browser: search, a field message, the preview, the report."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import ProcessEngine
from models import Appeal, Attachment, Complaint, db
from tests.browser.conftest import shot, sign_in
from tests.privacy.people import NAME, PHONE, SECRET_TEXT, complaint_of


def test_qms_previews_and_erases_a_clients_data(page: Any, live_server: str, engine: ProcessEngine) -> None:
    number = complaint_of(engine, closed=True)
    complaint = db.session.scalars(select(Complaint).where(Complaint.number == number)).one()
    appeal_number = complaint.appeal.number
    [stored] = [engine.settings.attachments_dir / a.stored_name for a in db.session.scalars(
        select(Attachment).where(Attachment.appeal_id == complaint.appeal_id))]
    sign_in(page, live_server, "qms")
    page.click("[data-test=nav-privacy]")
    page.click("[data-test=privacy-nav] a:text-is('Удаление по запросу')")
    page.fill("input[name=phone]", "12-34")
    page.click("[data-test=find]")
    page.wait_for_selector("[data-test=form-errors]")
    assert page.inner_text("[data-error-for=phone]") == "В номере телефона не меньше 7 цифр."
    assert page.input_value("input[name=phone]") == "12-34"
    page.fill("input[name=phone]", PHONE)
    page.click("[data-test=find]")
    row = page.locator(f"[data-test=case-{appeal_number}]")
    assert NAME in row.inner_text() and "будет обезличено" in row.inner_text()
    shot(page, "privacy-erasure-preview")
    page.click("[data-test=erase]")
    page.wait_for_selector("[data-test=erased]")
    report = page.inner_text(f"[data-test=erased-{appeal_number}]")
    assert "contact: email, full_name, phone" in report and "Удалено файлов: 1" in report
    assert "Ключей истории уничтожено: 1" in page.inner_text("[data-test=erased]")
    shot(page, "privacy-erasure-report")
    db.session.expire_all()
    assert not stored.exists()
    assert db.session.scalars(select(Appeal.text).where(Appeal.number == appeal_number)).one() != SECRET_TEXT
    page.goto(f"{live_server}/complaints/{number}")
    assert NAME not in page.inner_text("main") and SECRET_TEXT not in page.inner_text("main")
    page.goto(f"{live_server}/privacy/erasure")
    assert appeal_number in page.inner_text("[data-test=erasure-history]")
