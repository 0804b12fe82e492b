"""Erasure on the subject's request: found by phone, e-mail or personal INN, previewed, erased everywhere the
person appears (rows, files, instance state, history), reported, and recorded without the personal data."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.bpmn.persistence import state_to_dict
from engine.errors import InvalidInput
from engine.privacy.scrub import ERASED
from engine.privacy.subjects import SubjectQuery
from models import (
    Appeal,
    Attachment,
    AuditLog,
    ClientMessage,
    Complaint,
    Consent,
    Contact,
    Counterparty,
    Outbox,
    ProcessInstance,
    Review,
    db,
)
from tests.privacy.people import (
    EMAIL,
    NAME,
    PERSONAL_INN,
    PHONE,
    SECRET_TEXT,
    Subject,
    close,
    complaint_of,
    rated_and_thanked,
)

TRACES = (NAME, "Лоськова", "511-35-23", "9515113523", EMAIL.lower(), PERSONAL_INN, SECRET_TEXT,
          "Договорились о переносе базы", "Клиент подтвердил")


def _files_of(appeal_id: int, folder: Path) -> list[Path]:
    return [folder / a.stored_name for a in db.session.scalars(select(Attachment).where(
        Attachment.appeal_id == appeal_id))]


def _state_text(number: str) -> str:
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    return json.dumps(state_to_dict(instance.state), ensure_ascii=False)


def _no_traces(text: str) -> None:
    lowered = text.lower()
    assert [t for t in TRACES if t.lower() in lowered] == []


@pytest.fixture
def subject(engine: ProcessEngine) -> Subject:
    person = Subject(closed=[complaint_of(engine, closed=True)])
    rated_and_thanked(engine, person)
    return person


def test_the_preview_lists_each_case_and_the_loose_records(engine: ProcessEngine, subject: Subject) -> None:
    preview = engine.erasure_preview(SubjectQuery(phone="8 951 511 35 23"))
    by_complaint = {c["complaint"]: c for c in preview["cases"]}
    closed = by_complaint[subject.closed[0]]
    assert (closed["contact"], closed["open"], closed["attachments"], closed["messages"]) == (NAME, False, 1, 1)
    assert by_complaint[None]["appeal"] == subject.gratitude
    assert preview["reviews"] == 1 and preview["consents"] == 4  # 2 on the site form, 2 on the rating
    # The e-mail (any case) and the INN find the same person.
    assert len(engine.erasure_preview(SubjectQuery(email=" LOSKOVA@example.RU "))["cases"]) == 2
    assert len(engine.erasure_preview(SubjectQuery(inn=PERSONAL_INN))["cases"]) == 2


def test_erasure_removes_the_person_everywhere_and_keeps_the_figures(app: Flask, engine: ProcessEngine,
                                                                     subject: Subject) -> None:
    number = subject.closed[0]
    complaint = db.session.scalars(select(Complaint).where(Complaint.number == number)).one()
    appeal_id, complaint_id = complaint.appeal_id, complaint.id
    files = _files_of(appeal_id, engine.settings.attachments_dir)
    assert files and all(f.exists() for f in files)
    assert "Договорились о переносе базы" in _state_text(number)  # the form data the responsible typed
    figures_before = (complaint.justification, complaint.importance, complaint.compensation, complaint.satisfied,
                      complaint.loyal, complaint.stage1_closed_at, complaint.stage2_closed_at)

    report = engine.erase_subject(SubjectQuery(phone=PHONE), Actor("Контролёр СМК"))

    db.session.expire_all()
    [case] = [c for c in report["cases"] if c["complaint"] == number]
    assert case["files_removed"] == 1 and case["rows_deleted"] == {"attachment": 1}
    assert case["fields"]["contact"] == ["email", "full_name", "phone"]
    assert case["fields"]["counterparty"] == ["inn", "name"]
    assert {"subject", "text"} <= set(case["fields"]["appeal"])
    assert case["fields"]["client_message"] == ["body", "message_id", "subject"]
    assert "recipient" in case["fields"]["outbox"] and case["fields"]["process_instance"] == ["state (task data)"]
    assert report["refused"] == [] and report["history_keys_destroyed"] == 1
    # Rows: emptied, not deleted; files: gone from disk with their rows.
    assert not any(f.exists() for f in files)
    assert db.session.scalars(select(Attachment).where(Attachment.appeal_id == appeal_id)).all() == []
    appeal = db.session.get(Appeal, appeal_id)
    assert (appeal.text, appeal.subject, appeal.anonymised_at is not None) == (ERASED, ERASED, True)
    contact = db.session.get(Contact, appeal.contact_id)
    assert (contact.full_name, contact.phone, contact.email) == (ERASED, None, None)
    counterparty = db.session.get(Counterparty, appeal.counterparty_id)
    assert counterparty.inn is None and counterparty.name.startswith(ERASED)
    [message] = db.session.scalars(select(ClientMessage).where(ClientMessage.complaint_id == complaint_id)).all()
    assert (message.body, message.subject) == (ERASED, ERASED)
    letters = db.session.scalars(select(Outbox).where(Outbox.business_key == number)).all()
    assert letters and all(o.body == ERASED for o in letters)
    assert {o.recipient for o in letters if o.recipient.startswith("email:")} == {f"email:{ERASED}"}
    consents = db.session.scalars(select(Consent)).all()
    assert len(consents) == 4 and all(c.erased_at and not (c.person or c.phone or c.email or c.inn or c.ip)
                                      for c in consents)
    assert {c.kind for c in consents} == {"personal_data", "user_agreement", "publish_review"}  # records kept
    review = db.session.get(Review, subject.review_id)
    assert (review.author_name, review.author_contact, review.rating) == (None, None, 5)
    _no_traces(_state_text(number))
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    restored = engine.runtime.load(instance, engine.definitions.latest(db.session, "complaint"))
    assert restored.is_completed() and restored.data["complaint_number"] == number  # the state still loads
    # The history: its data unreadable (the case key is destroyed), its chain still whole.
    events = engine.history(number)
    assert events[-1].kind == "history_erased" and all(e.erased and e.data is None for e in events)
    checked = engine.verify_history()
    assert checked.ok and checked.erased == 1 and checked.events >= len(events)
    command = app.test_cli_runner().invoke(args=["verify-history"])
    assert command.exit_code == 0, command.output
    # The figures of the case stay.
    kept = db.session.get(Complaint, complaint_id)
    assert (kept.justification, kept.importance, kept.compensation, kept.satisfied, kept.loyal,
            kept.stage1_closed_at, kept.stage2_closed_at) == figures_before
    # Nothing of the person is left in any text column of the erased rows, nor in the audit record.
    [audit] = db.session.scalars(select(AuditLog).where(AuditLog.action == "personal_data_erased")).all()
    _no_traces(json.dumps(audit.data, ensure_ascii=False, default=str))
    assert audit.data["searched_by"] == ["phone"] and audit.actor == "Контролёр СМК"
    gratitude = db.session.scalars(select(Appeal).where(Appeal.number == subject.gratitude)).one()
    _no_traces(gratitude.text)
    # Asking again finds nothing left to erase.
    assert engine.erasure_preview(SubjectQuery(phone=PHONE))["cases"] == []


def test_an_open_complaint_is_refused_and_keeps_what_it_needs(engine: ProcessEngine, subject: Subject) -> None:
    still_open = complaint_of(engine, closed=False)
    report = engine.erase_subject(SubjectQuery(email=EMAIL), Actor("qms"))
    assert [r["complaint"] for r in report["refused"]] == [still_open]
    assert subject.closed[0] in [c["complaint"] for c in report["cases"]]
    db.session.expire_all()
    complaint = db.session.scalars(select(Complaint).where(Complaint.number == still_open)).one()
    appeal = db.session.get(Appeal, complaint.appeal_id)
    assert appeal.text == SECRET_TEXT and appeal.anonymised_at is None
    contact = db.session.get(Contact, complaint.contact_id)
    assert (contact.full_name, contact.email) == (NAME, EMAIL)  # the open case still reaches the client
    assert _files_of(appeal.id, engine.settings.attachments_dir)[0].exists()
    assert still_open in _state_text(still_open)
    # Once it closes, a second request erases it too.
    close(engine, still_open)
    again = engine.erase_subject(SubjectQuery(email=EMAIL), Actor("qms"))
    assert [c["complaint"] for c in again["cases"]] == [still_open] and again["refused"] == []
    db.session.expire_all()
    contact = db.session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    assert contact is None or contact.full_name == ERASED


@pytest.mark.parametrize(("query", "field", "message"), [
    (SubjectQuery(), "phone", "Give a phone, an e-mail or a personal INN."),
    (SubjectQuery(phone="12-34"), "phone", "A phone number has at least 7 digits."),
    (SubjectQuery(email="not-an-address"), "email", "Not a valid e-mail address."),
    (SubjectQuery(inn="7707083893"), "inn",
     "A personal INN has 12 digits; an organisation's INN is not personal data."),
    (SubjectQuery(inn="770123456700"), "inn", "The INN check digits do not match: check the number."),
])
def test_a_bad_search_is_a_field_message_and_erases_nothing(engine: ProcessEngine, subject: Subject,
                                                           query: SubjectQuery, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        engine.erase_subject(query, Actor("qms"))
    assert refused.value.fields == {field: [message]}
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "personal_data_erased")).all() == []


def test_the_erasure_pages(app: Flask, engine: ProcessEngine, subject: Subject, qms_client: Any) -> None:
    page = qms_client.get("/privacy/erasure", query_string={"inn": "12"})
    assert page.status_code == 422
    assert "ИНН состоит из 10 цифр" in page.get_data(as_text=True)
    assert 'value="12"' in page.get_data(as_text=True)  # what was typed stays
    page = qms_client.get("/privacy/erasure", query_string={"phone": PHONE}).get_data(as_text=True)
    assert f'data-test="case-{subject.gratitude}"' in page and NAME in page
    done = qms_client.post("/privacy/erasure", data={"phone": PHONE, "email": "", "inn": ""})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and f'data-test="erased-{subject.gratitude}"' in body
    assert "Удалено файлов: 1" in body
    history = qms_client.get("/privacy/erasure").get_data(as_text=True)
    assert subject.gratitude in history and NAME not in history
    # The erased case still opens, on its card and on its diagram (the scrubbed state loads).
    card = qms_client.get(f"/complaints/{subject.closed[0]}")
    assert card.status_code == 200 and NAME not in card.get_data(as_text=True)
    diagram = qms_client.get(f"/complaints/{subject.closed[0]}/diagram")
    assert diagram.status_code == 200
