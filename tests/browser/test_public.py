"""The public site form and the API docs page in a real browser."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import ProcessEngine
from models import Appeal, Consent, db
from tests.browser.conftest import shot


def test_a_visitor_sends_a_complaint_from_the_site(page: Any, live_server: str, engine: ProcessEngine) -> None:
    page.goto(f"{live_server}/feedback")
    page.check("input[name=type][value=complaint]")
    page.fill("textarea[name=message]", "Обещали перезвонить — не перезвонили")
    page.fill("input[name=full_name]", "Сидоров Пётр")
    page.fill("input[name=email]", "sidorov@example.ru")
    page.set_input_files("input[name=file]", files=[{"name": "скрин.png", "mimeType": "image/png",
                                                      "buffer": b"\x89PNG\r\n\x1a\n"}])
    page.click("button[type=submit]")
    page.wait_for_selector("[data-test=form-errors]")
    assert page.input_value("textarea[name=message]") == "Обещали перезвонить — не перезвонили"
    assert "персональных данных" in page.inner_text("[data-error-for=consent_personal_data]")
    shot(page, "13-feedback-errors")
    page.check("input[name=consent_personal_data]")
    page.check("input[name=consent_agreement]")
    page.set_input_files("input[name=file]", files=[{"name": "скрин.png", "mimeType": "image/png",
                                                      "buffer": b"\x89PNG\r\n\x1a\n"}])
    page.click("button[type=submit]")
    number = page.inner_text("[data-test=appeal-number]")
    assert "трёх рабочих дней" in page.inner_text("[data-test=promise]")
    shot(page, "14-feedback-thanks")
    appeal = db.session.scalars(select(Appeal).where(Appeal.number == number)).one()
    assert appeal.channel == "site_form" and len(db.session.scalars(select(Consent)).all()) == 2


def test_the_api_docs_page_renders_the_openapi_document(page: Any, live_server: str, engine: ProcessEngine) -> None:
    page.goto(f"{live_server}/api/v1/docs")
    page.wait_for_selector(".opblock")
    text = page.inner_text("body")
    assert "Complaint desk API" in text and "/api/v1/appeals" in text and "/api/v1/feedback" in text
    shot(page, "15-api-docs")


def test_a_phone_only_complaint_keeps_the_phone_and_foreign_digits_find_the_same_counterparty(
        page: Any, live_server: str, engine: ProcessEngine, register: Any) -> None:
    from models import Complaint, Counterparty
    from tests.browser.conftest import sign_in

    register(inn="7707083893", counterparty_name="ООО Ромашка")
    page.goto(f"{live_server}/feedback")
    page.check("input[name=type][value=complaint]")
    page.fill("textarea[name=message]", "Перезвоните, пожалуйста, по поводу счёта")
    page.fill("input[name=phone]", "+7 912 345-67-89")
    page.fill("input[name=inn]", "７７０７０８３８９３")  # typed with full-width digits
    page.check("input[name=consent_personal_data]")
    page.check("input[name=consent_agreement]")
    page.click("button[type=submit]")
    number = page.inner_text("[data-test=appeal-number]")
    db.session.expire_all()
    appeal = db.session.scalars(select(Appeal).where(Appeal.number == number)).one()
    assert appeal.contact is not None and appeal.contact.phone == "+7 912 345-67-89"
    assert [c.inn for c in db.session.scalars(select(Counterparty))] == ["7707083893"]
    complaint = db.session.scalars(select(Complaint).where(Complaint.appeal_id == appeal.id)).one()
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/complaints/{complaint.number}")
    assert page.inner_text("[data-test=contact]") == "+7 912 345-67-89"
    shot(page, "14b-phone-only-contact")
