"""The client's status page: a number and a contact give the stage, the promised date and the steps done.

Guessing is made expensive and uninformative: every look-up counts against the address, and "no such
number" and "wrong contact" run the same queries and give the same answer.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.steps import STEPS
from engine.errors import RateLimited
from engine.messages import Message
from models import Complaint, Contact, Deadline, Task, TrackAttempt

WINDOW = dt.timedelta(minutes=10)
# Compared when the number is unknown, so that path does the same work as a wrong contact.
_NOBODY = ("\x00nobody@invalid", "\x00")


@dataclass(frozen=True)
class ClientStatus:
    """What the client may see: no staff names, no notes, nothing of other complaints."""

    number: str
    registered_at: dt.datetime
    stage: str  # stage1, stage2, closed
    answer_by: dt.datetime | None
    steps: tuple[tuple[str, str, dt.datetime], ...]  # code, name, completed at
    stage1_closed_at: dt.datetime | None


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[-10:] if len(digits) >= 10 else digits  # +7 / 8 prefixes differ, the last ten digits do not


def contact_matches(typed: str, email: str | None, phone: str | None) -> bool:
    """Constant-time comparison of what the client typed with the contact on file (e-mail or phone)."""
    typed_email, typed_phone = typed.strip().lower(), normalise_phone(typed)
    on_file_email = (email or "").strip().lower() or _NOBODY[0]
    on_file_phone = normalise_phone(phone or "") or _NOBODY[1]
    email_ok = hmac.compare_digest(typed_email.encode(), on_file_email.encode())
    phone_ok = hmac.compare_digest(typed_phone.encode(), on_file_phone.encode())
    return email_ok or (len(typed_phone) >= 5 and phone_ok)


def count_attempt(s: Session, ip: str | None, limit: int, now: dt.datetime) -> None:
    address = (ip or "unknown")[:64]
    recent = s.scalar(select(func.count(TrackAttempt.id)).where(TrackAttempt.ip == address,
                                                                TrackAttempt.at > now - WINDOW))
    if recent >= limit:
        raise RateLimited(Message("Too many look-ups from this address; try again in a few minutes."))
    s.add(TrackAttempt(ip=address, at=now))


def look_up(s: Session, number: str, typed_contact: str) -> int | None:
    """The complaint's id when the number exists and the contact matches it, else None (one query either way)."""
    row = s.execute(select(Complaint.id, Contact.email, Contact.phone)
                    .outerjoin(Contact, Contact.id == Complaint.contact_id)
                    .where(Complaint.number == number.strip().upper().replace("Р", "P"))).first()
    complaint_id, email, phone = row if row is not None else (None, None, None)
    matched = contact_matches(typed_contact, email, phone)
    return complaint_id if matched and complaint_id is not None else None


def status(s: Session, complaint_id: int) -> ClientStatus:
    complaint = s.get(Complaint, complaint_id)
    assert complaint is not None and complaint.number is not None
    names = dict(STEPS)
    done: dict[str, dt.datetime] = {}
    for step, completed_at in s.execute(select(Task.step, Task.completed_at).where(
            Task.business_key == complaint.number, Task.status == "completed", Task.step.is_not(None))):
        if completed_at is not None and step in names:
            done[step] = max(done.get(step, completed_at), completed_at)
    answer_by = s.scalar(select(Deadline.due_at).where(Deadline.business_key == complaint.number,
                                                       Deadline.step == "1.3"))
    stage = "closed" if complaint.stage2_status == "closed" else \
        "stage2" if complaint.stage1_status == "closed" else "stage1"
    return ClientStatus(complaint.number, complaint.registered_at, stage, answer_by,
                        tuple((code, names[code], done[code]) for code, _ in STEPS if code in done),
                        complaint.stage1_closed_at)


def as_dict(found: ClientStatus) -> dict[str, Any]:
    return {"number": found.number, "registered_at": found.registered_at, "stage": found.stage,
            "answer_by": found.answer_by, "stage1_closed_at": found.stage1_closed_at,
            "steps": [{"code": c, "name": n, "completed_at": at} for c, n, at in found.steps]}
