"""Which complaint an incoming e-mail answers: by In-Reply-To / References, or by the number in its subject."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.intake.mail import Mail
from models import ClientMessage, Complaint, Outbox

# Clients retype the number, often with the Cyrillic «Р» that looks like the Latin P.
NUMBER_IN_SUBJECT = re.compile(r"(?<![\w])[PР](\d{10,})(?![\w])")


def complaint_answered(s: Session, mail: Mail) -> Complaint | None:
    """The complaint this message answers, or None when it answers nothing we know (then it is a new appeal)."""
    if mail.references:
        number = s.scalar(select(Outbox.business_key).where(Outbox.message_id.in_(mail.references),
                                                            Outbox.business_key.is_not(None)).limit(1))
        if number is not None:
            found = s.scalar(select(Complaint).where(Complaint.number == number))
            if found is not None:
                return found
        complaint_id = s.scalar(select(ClientMessage.complaint_id)
                                .where(ClientMessage.message_id.in_(mail.references)).limit(1))
        if complaint_id is not None:
            return s.get(Complaint, complaint_id)
    for digits in NUMBER_IN_SUBJECT.findall(mail.subject):
        found = s.scalar(select(Complaint).where(Complaint.number == f"P{digits}"))
        if found is not None:
            return found
    return None
