"""Public channels: the site feedback form and the ratings of managers and deliveries."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import column_checks
from engine.errors import InvalidInput, RateLimited
from engine.intake.appeals import AppealInput, NewFile
from engine.intake.file_types import upload_problems
from engine.intake.inn import inn_problem, normalised_inn
from engine.messages import Message
from models import Appeal, Consent, Contact, Counterparty, Review, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FEEDBACK_TYPES = ("gratitude", "complaint", "suggestion")
WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class PublicRules:
    consent_version: str = "2026-11-01"
    rate_limit: int = 5
    low_rating: int = 3
    delivery_department: str = "ОПР"
    max_file_bytes: int = 5 * 1024 * 1024
    allowed_file_types: tuple[str, ...] = (".pdf", ".jpg", ".jpeg", ".png", ".txt", ".doc", ".docx")
    site_complaint_recipients: tuple[str, ...] = ("group:ceo", "group:СМК")
    base_url: str = "http://127.0.0.1:5000"  # how links in e-mails to clients reach the public pages
    track_rate_limit: int = 10  # status-page look-ups per address in 10 minutes


@dataclass(frozen=True)
class FeedbackInput:
    type: str
    message: str
    full_name: str = ""
    organisation: str = ""
    inn: str = ""
    phone: str = ""
    email: str = ""
    consent_personal_data: bool = False
    consent_agreement: bool = False
    files: tuple[NewFile, ...] = ()


@dataclass(frozen=True)
class ReviewInput:
    kind: str  # manager, delivery
    rating: int
    comment: str = ""
    employee: str = ""
    author_name: str = ""
    author_contact: str = ""
    publish: bool = False
    consent_personal_data: bool = False


def file_problems(files: tuple[NewFile, ...], rules: PublicRules) -> list[str]:
    return upload_problems(files, rules.allowed_file_types, rules.max_file_bytes)


def check_rate(s: Session, ip: str | None, rules: PublicRules, now: dt.datetime) -> None:
    if not ip:
        return
    recent = s.scalar(select(func.count(func.distinct(func.coalesce(Consent.appeal_id, -Consent.review_id))))
                      .where(Consent.ip == ip, Consent.given_at > now - WINDOW))
    if recent >= rules.rate_limit:
        raise RateLimited(Message("Too many submissions from this address; try again in a few minutes."))


def feedback_appeal(data: FeedbackInput, rules: PublicRules) -> AppealInput:
    problems = column_checks.input_problems({
        "message": (data.message, Appeal.text), "full_name": (data.full_name, Contact.full_name),
        "organisation": (data.organisation, Counterparty.name), "phone": (data.phone, Contact.phone),
        "email": (data.email, Contact.email)})
    if data.type not in FEEDBACK_TYPES:
        problems["type"] = [Message("Must be one of: {choices}.", choices=", ".join(FEEDBACK_TYPES))]
    if not data.message.strip():
        problems["message"] = [Message("Write your message.")]
    if not data.consent_personal_data:
        problems["consent_personal_data"] = [Message("Consent to the processing of personal data is required.")]
    if not data.consent_agreement:
        problems["consent_agreement"] = [Message("Acceptance of the user agreement is required.")]
    if data.inn and (problem := inn_problem(normalised_inn(data.inn))):
        problems["inn"] = [problem]
    if data.email and not EMAIL.match(data.email) and "email" not in problems:
        problems["email"] = [Message("Not a valid e-mail address.")]
    if bad_files := file_problems(data.files, rules):
        problems["file"] = bad_files
    if problems:
        raise InvalidInput("The form has errors.", problems)
    subject = data.message.strip().splitlines()[0][:120]
    return AppealInput(type=data.type, channel="site_form", subject=subject, text=data.message.strip(),
                       counterparty_name=data.organisation or None, inn=data.inn or None,
                       contact_name=data.full_name or data.email or None, contact_phone=data.phone or None,
                       contact_email=data.email or None, attachments=data.files)


def review_row(s: Session, data: ReviewInput) -> tuple[Review, User | None]:
    problems = column_checks.input_problems({
        "employee": (data.employee, User.login), "comment": (data.comment, Review.comment),
        "author_name": (data.author_name, Review.author_name),
        "author_contact": (data.author_contact, Review.author_contact)})
    if problems:
        raise InvalidInput("The form has errors.", problems)
    employee = None
    if data.kind not in ("manager", "delivery"):
        problems["kind"] = [Message("Must be manager or delivery.")]
    if data.kind == "manager":
        employee = s.scalar(select(User).where(User.login == data.employee, User.active.is_(True)))
        if employee is None:
            problems["employee"] = [Message("No employee {employee}.", employee=data.employee or "(none given)")]
    if not 1 <= data.rating <= 5:
        problems["rating"] = [Message("Rate from 1 to 5.")]
    if (data.author_name or data.author_contact) and not data.consent_personal_data:
        problems["consent_personal_data"] = [Message(
            "Consent to the processing of personal data is required when you leave your name or contact.")]
    if problems:
        raise InvalidInput("The rating has errors.", problems)
    return Review(kind=data.kind, employee_id=employee.id if employee else None, rating=data.rating,
                  comment=data.comment.strip() or None, author_name=data.author_name or None,
                  author_contact=data.author_contact or None, publish=data.publish), employee
