"""The data subjects of the personal-data tests: a client with closed and open cases, ratings and consents."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from engine import Actor, NewFile, ProcessEngine
from engine.intake.public import FeedbackInput, ReviewInput
from models import Complaint, Task, db
from tests.client.helpers import close_stage1
from tests.conftest import complaint_input

PHONE = "+7 (951) 511-35-23"
EMAIL = "Loskova@Example.ru"
PERSONAL_INN = "770123456703"  # a person's 12-digit INN with valid check digits
NAME = "Лоськова Галина Николаевна"
SECRET_TEXT = "Паспорт 4510 123456, живу на Ленина 5"
STAGE2 = [("qms_analysis", {"participants": [{"department": "ДКС", "actions": "Разбор звонков"}],
                            "nonconformities": [], "root_cause": "Единичный случай", "improvement_needed": False}),
          ("qms_close_stage2", {"stage2_decision": "close", "stage2_conclusion": "Причина устранена"})]


@dataclass
class Subject:
    closed: list[str] = field(default_factory=list)  # complaint numbers
    open: list[str] = field(default_factory=list)
    gratitude: str = ""  # an appeal number from the site form
    review_id: int = 0


def complaint_of(engine: ProcessEngine, *, closed: bool, **overrides: object) -> str:
    scan = NewFile("паспорт Лоськовой.pdf", "application/pdf", b"%PDF-1.4 " + SECRET_TEXT.encode())
    values = dict(contact_name=NAME, contact_phone=PHONE, contact_email=EMAIL, inn=PERSONAL_INN,
                  counterparty_name="ИП Лоськова Г. Н.", text=SECRET_TEXT, attachments=(scan,))
    values.update(overrides)
    _appeal, complaint = engine.register_appeal(complaint_input(**values), Actor("operator"))
    assert complaint is not None and complaint.number
    number = complaint.number
    engine.write_to_client(number, "Уточнение", f"Галина Николаевна, {SECRET_TEXT}?", Actor("responsible"))
    if closed:
        close(engine, number)
    return number


def close(engine: ProcessEngine, number: str) -> None:
    """Walk the complaint through stage 1 and a short stage 2 to its close."""
    close_stage1(engine, number)
    for bpmn_id, data in STAGE2:
        task = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
        assert task.bpmn_id == bpmn_id
        engine.complete_task(task.id, data, Actor("qms"))
    db.session.expire_all()
    assert db.session.scalar(select(Complaint.stage2_status).where(Complaint.number == number)) == "closed"


def rated_and_thanked(engine: ProcessEngine, subject: Subject) -> None:
    appeal, _c, _d = engine.submit_feedback(FeedbackInput(
        type="gratitude", message=f"Спасибо! {SECRET_TEXT}", full_name=NAME, phone=PHONE, email=EMAIL,
        inn=PERSONAL_INN, consent_personal_data=True, consent_agreement=True), "203.0.113.7")
    subject.gratitude = appeal.number or ""
    review = engine.submit_review(ReviewInput(kind="manager", rating=5, comment="Отлично", employee="responsible",
                                              author_name=NAME, author_contact=PHONE, publish=True,
                                              consent_personal_data=True), "203.0.113.7")
    subject.review_id = review.id
