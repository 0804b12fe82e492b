"""The consent register: consents as given on the public forms, searchable, and their withdrawal."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from engine import column_checks
from engine.errors import Conflict, InvalidInput, NotFound
from engine.messages import Message
from models import AuditLog, Consent

# What each kind of consent is for (the register's "purpose").
PURPOSES = {"personal_data": "appeal_handling", "user_agreement": "user_agreement",
            "publish_review": "review_publication"}
STATES = ("active", "withdrawn", "erased")


def given(kind: str, version: str, channel: str, now: dt.datetime, ip: str | None, *, person: str | None = None,
          phone: str | None = None, email: str | None = None, inn: str | None = None) -> Consent:
    """A new consent row with whose it is (an organisation's 10-digit INN is not a person's and is not kept)."""
    return Consent(kind=kind, text_version=version, purpose=PURPOSES.get(kind, ""), channel=channel, given_at=now,
                   ip=ip, person=person or None, phone=phone or None, email=(email or "").strip().lower() or None,
                   inn=inn if inn and len(inn) == 12 else None)


def register(filters: Mapping[str, Any], tz: ZoneInfo) -> Select[tuple[Consent]]:
    """Consents matching the page's filters, newest first; `from` and `to` are days in the company's zone,
    both included. `kind` "none" (a rating left without consent) is a mark for the rate limit, not a
    consent, and never listed."""
    stmt = select(Consent).where(Consent.kind != "none")
    if q := str(filters.get("q") or "").strip():
        like = f"%{q}%"
        stmt = stmt.where(or_(Consent.person.ilike(like), Consent.phone.ilike(like), Consent.email.ilike(like),
                              Consent.inn.ilike(like)))
    for name in ("kind", "channel", "purpose"):
        if value := filters.get(name):
            stmt = stmt.where(getattr(Consent, name) == value)
    state = filters.get("state")
    if state == "active":
        stmt = stmt.where(Consent.withdrawn_at.is_(None), Consent.erased_at.is_(None))
    elif state == "withdrawn":
        stmt = stmt.where(Consent.withdrawn_at.is_not(None))
    elif state == "erased":
        stmt = stmt.where(Consent.erased_at.is_not(None))
    if start := filters.get("from"):
        stmt = stmt.where(Consent.given_at >= dt.datetime.combine(start, dt.time(), tz))
    if end := filters.get("to"):
        stmt = stmt.where(Consent.given_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))
    return stmt.order_by(Consent.given_at.desc(), Consent.id.desc())


def withdraw(s: Session, consent_id: int, note: str, actor: str, now: dt.datetime) -> Consent:
    """The person took their consent back (told QMS by letter or phone): recorded with when, by whom, why."""
    consent = s.get(Consent, consent_id)
    if consent is None or consent.kind == "none":
        raise NotFound(Message("No consent {number}.", number=consent_id))
    if consent.withdrawn_at is not None:
        raise Conflict(Message("This consent is already withdrawn."))
    problems = column_checks.input_problems({"note": (note, Consent.withdrawal_note)})
    if problems:
        raise InvalidInput("The withdrawal has errors.", problems)
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_note = now, actor, note.strip() or None
    s.add(AuditLog(at=now, actor=actor, action="consent_withdrawn", data={"consent": consent.id,
                                                                           "kind": consent.kind}))
    return consent
