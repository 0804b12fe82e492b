"""The consent register: whose consent, to which text, for what, through which channel, when, withdrawn when."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from engine.intake.public import FeedbackInput
from models import AuditLog, Consent, db
from tests.privacy.people import EMAIL, NAME, PERSONAL_INN, PHONE, Subject, rated_and_thanked


def _rows(page: str) -> int:
    return len(re.findall(r'data-test="consent-\d+"', page))


def test_the_forms_record_whose_consent_it_is(engine: ProcessEngine) -> None:
    rated_and_thanked(engine, Subject())
    engine.submit_feedback(FeedbackInput(type="suggestion", message="Идея", organisation="ООО Альфа",
                                         inn="7707083893", email="boss@alfa.example", consent_personal_data=True,
                                         consent_agreement=True), None)
    rows = [(c.kind, c.purpose, c.channel, c.person, c.phone, c.email, c.inn, c.text_version)
            for c in db.session.scalars(select(Consent).order_by(Consent.id))]
    assert rows == [
        ("personal_data", "appeal_handling", "site_form", NAME, PHONE, EMAIL.lower(), PERSONAL_INN, "2026-11-01"),
        ("user_agreement", "user_agreement", "site_form", NAME, PHONE, EMAIL.lower(), PERSONAL_INN, "2026-11-01"),
        ("publish_review", "review_publication", "rate_manager", NAME, PHONE, None, None, "2026-11-01"),
        ("personal_data", "appeal_handling", "rate_manager", NAME, PHONE, None, None, "2026-11-01"),
        # An organisation's INN is not a person's: not kept on the consent.
        ("personal_data", "appeal_handling", "site_form", None, None, "boss@alfa.example", None, "2026-11-01"),
        ("user_agreement", "user_agreement", "site_form", None, None, "boss@alfa.example", None, "2026-11-01"),
    ]


def test_qms_finds_and_withdraws_a_consent(app: Flask, engine: ProcessEngine, qms_client: Any) -> None:
    rated_and_thanked(engine, Subject())
    page = qms_client.get("/privacy/consents", query_string={"q": "511-35", "kind": "publish_review"})
    body = page.get_data(as_text=True)
    [consent] = db.session.scalars(select(Consent).where(Consent.kind == "publish_review")).all()
    assert f'data-test="consent-{consent.id}"' in body and _rows(body) == 1
    assert "Публикация отзыва" in body and NAME in body
    answer = qms_client.post(f"/privacy/consents/{consent.id}/withdraw", data={"note": "Письмо от 27.11"})
    assert answer.status_code == 302
    db.session.expire_all()
    consent = db.session.get(Consent, consent.id)
    assert consent.withdrawn_at is not None and consent.withdrawn_by == "Матвеева Анна"
    assert consent.withdrawal_note == "Письмо от 27.11"
    [audit] = db.session.scalars(select(AuditLog).where(AuditLog.action == "consent_withdrawn")).all()
    assert audit.data == {"consent": consent.id, "kind": "publish_review"}
    withdrawn = qms_client.get("/privacy/consents", query_string={"state": "withdrawn"}).get_data(as_text=True)
    assert _rows(withdrawn) == 1 and "Письмо от 27.11" in withdrawn
    active = qms_client.get("/privacy/consents", query_string={"state": "active"}).get_data(as_text=True)
    assert _rows(active) == 3
    again = qms_client.post(f"/privacy/consents/{consent.id}/withdraw", data={"note": ""})
    assert again.status_code == 409


def test_the_api_lists_the_register_with_filters(app: Flask, engine: ProcessEngine, auth: dict[str, str]) -> None:
    rated_and_thanked(engine, Subject())
    answer = app.test_client().get("/api/v1/privacy/consents?kind=personal_data&from=2026-01-01", headers=auth)
    assert answer.status_code == 200
    items = answer.get_json()
    assert [(c["channel"], c["person"], c["purpose"]) for c in items] == [
        ("rate_manager", NAME, "appeal_handling"), ("site_form", NAME, "appeal_handling")]
    assert items[1]["appeal"].startswith("RP") and items[0]["appeal"] is None
    bad = app.test_client().get("/api/v1/privacy/consents?from=2026-13-01&state=maybe", headers=auth)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"from", "state"}
