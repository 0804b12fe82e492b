"""Finding everything of one data subject by their phone, e-mail or personal INN, normalised as intake does."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.client.tracking import normalise_phone
from engine.errors import InvalidInput
from engine.intake.inn import inn_problem, normalised_inn
from engine.intake.public import EMAIL
from engine.messages import Message
from engine.privacy import retention
from models import Appeal, Attachment, ClientMessage, Complaint, Consent, Contact, Counterparty, Outbox, Review

MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class SubjectQuery:
    """What the person gave to be found by; the fields are normalised by `checked`."""

    phone: str = ""
    email: str = ""
    inn: str = ""

    def checked(self) -> SubjectQuery:
        problems: dict[str, list[str]] = {}
        phone, email, inn = normalise_phone(self.phone), self.email.strip().lower(), normalised_inn(self.inn)
        if self.phone.strip() and len(phone) < MIN_PHONE_DIGITS:
            problems["phone"] = [Message("A phone number has at least {digits} digits.", digits=MIN_PHONE_DIGITS)]
        if email and not EMAIL.match(email):
            problems["email"] = [Message("Not a valid e-mail address.")]
        if inn and (problem := inn_problem(inn)):
            problems["inn"] = [problem]
        elif inn and len(inn) != 12:
            problems["inn"] = [Message("A personal INN has 12 digits; an organisation's INN is not personal data.")]
        if not (phone or email or inn) and not problems:
            problems["phone"] = [Message("Give a phone, an e-mail or a personal INN.")]
        if problems:
            raise InvalidInput("The search has errors.", problems)
        return SubjectQuery(phone, email, inn)

    @property
    def searched_by(self) -> list[str]:
        """Which identifiers were given (the audit log names these, never their values)."""
        return [name for name in ("phone", "email", "inn") if getattr(self, name)]


@dataclass
class Found:
    appeals: list[Appeal] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)  # ratings that did not become an appeal
    consents: list[Consent] = field(default_factory=list)
    messages: list[ClientMessage] = field(default_factory=list)  # also those written into others' cases
    letters: list[Outbox] = field(default_factory=list)  # sent to their address


def _phone_matches(column: Any, phone: str) -> Any:
    """A cheap pre-filter in SQL (the last two digits are written together in any format); exact in Python."""
    return column.like(f"%{phone[-2:]}")


def find(s: Session, q: SubjectQuery) -> Found:
    contacts: set[int] = set()
    if q.phone:
        contacts |= {c.id for c in s.scalars(select(Contact).where(_phone_matches(Contact.phone, q.phone)))
                     if normalise_phone(c.phone or "") == q.phone}
    if q.email:
        contacts |= set(s.scalars(select(Contact.id).where(func.lower(Contact.email) == q.email)))
    counterparties = set(s.scalars(select(Counterparty.id).where(Counterparty.inn == q.inn))) if q.inn else set()
    reviews = [r for r in s.scalars(select(Review).where(Review.author_contact.is_not(None)))
               if _contact_is(r.author_contact or "", q)] if (q.phone or q.email) else []
    wanted = [clause for given, clause in ((q.email, func.lower(Consent.email) == q.email),
                                           (q.phone, _phone_matches(Consent.phone, q.phone)),
                                           (q.inn, Consent.inn == q.inn)) if given]
    consents = [c for c in s.scalars(select(Consent).where(or_(*wanted)))
                if (q.email and (c.email or "").lower() == q.email) or (q.inn and c.inn == q.inn)
        or (q.phone and normalise_phone(c.phone or "") == q.phone)]
    appeal_ids = set(s.scalars(select(Appeal.id).where(or_(
        Appeal.contact_id.in_(contacts), Appeal.counterparty_id.in_(counterparties),
        Appeal.id.in_(select(Complaint.appeal_id).where(Complaint.contact_id.in_(contacts)))))))
    appeal_ids |= {r.appeal_id for r in reviews if r.appeal_id} | {c.appeal_id for c in consents if c.appeal_id}
    found = Found(appeals=list(s.scalars(select(Appeal).where(Appeal.id.in_(appeal_ids),
                                                              Appeal.anonymised_at.is_(None)).order_by(Appeal.id))),
                  reviews=[r for r in reviews if r.appeal_id is None and r.anonymised_at is None],
                  consents=[c for c in consents if c.erased_at is None])
    if q.email:
        found.messages = list(s.scalars(select(ClientMessage).where(func.lower(ClientMessage.sender_email) == q.email)))
        found.letters = list(s.scalars(select(Outbox).where(func.lower(Outbox.recipient) == f"email:{q.email}",
                                                            Outbox.anonymised_at.is_(None))))
    return found


def _contact_is(value: str, q: SubjectQuery) -> bool:
    if "@" in value:
        return bool(q.email) and value.strip().lower() == q.email
    return bool(q.phone) and normalise_phone(value) == q.phone


def open_complaint(s: Session, appeal: Appeal) -> Complaint | None:
    """The appeal's complaint while it is still being handled (erasure waits for it to close)."""
    complaint = s.scalar(select(Complaint).where(Complaint.appeal_id == appeal.id))
    return complaint if complaint is not None and not retention.is_closed(s, complaint.id) else None


def preview(s: Session, found: Found) -> dict[str, Any]:
    """What erasure would remove, case by case, for the person asking to check before confirming."""
    cases = []
    for appeal in found.appeals:
        complaint = s.scalar(select(Complaint).where(Complaint.appeal_id == appeal.id))
        cases.append({
            "appeal": appeal.number, "complaint": complaint.number if complaint else None, "type": appeal.type,
            "received_at": appeal.received_at, "subject": appeal.subject,
            "contact": appeal.contact.full_name if appeal.contact else None,
            "open": open_complaint(s, appeal) is not None,
            "attachments": s.scalar(select(func.count(Attachment.id)).where(Attachment.appeal_id == appeal.id)),
            "messages": s.scalar(select(func.count(ClientMessage.id)).where(
                ClientMessage.complaint_id == complaint.id)) if complaint else 0,
        })
    return {"cases": cases, "reviews": len(found.reviews), "consents": len(found.consents),
            "messages": len(found.messages), "letters": len(found.letters)}
