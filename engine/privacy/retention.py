"""How long each kind of record keeps its personal data, and which records are past that period.

A complaint's period runs from its closing: stage 2 closed, or stage 1 closed with no stage 2 and no process
still running. Any other appeal has no process to close; its period runs from its receipt. A review without an
appeal runs from its creation; a conversation message from its complaint's closing; a sent letter from its
creation; a status-page look-up (an address and a moment, tied to no case) from itself.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from models import Appeal, ClientMessage, Complaint, Outbox, ProcessInstance, Review

KINDS = ("complaints", "appeals", "reviews", "client_messages", "outbox", "track_attempts")


@dataclass(frozen=True)
class RetentionRules:
    """Days each kind of record keeps its personal data (see the module's note for where each count starts)."""

    complaints: int = 5 * 365
    appeals: int = 3 * 365
    reviews: int = 3 * 365
    client_messages: int = 3 * 365
    outbox: int = 365
    track_attempts: int = 30

    def cutoff(self, kind: str, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(days=getattr(self, kind))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _running() -> object:
    return exists().where(ProcessInstance.business_key == Complaint.number, ProcessInstance.status != "completed")


def closed_clause() -> object:
    """A complaint is closed when nothing more will happen to it (see the module's note)."""
    return and_(or_(Complaint.stage2_status == "closed",
                    and_(Complaint.stage1_status == "closed", Complaint.stage2_status.is_(None))),
                ~_running())


def closed_at() -> object:
    return func.coalesce(Complaint.stage2_closed_at, Complaint.stage1_closed_at)


def complaint_appeals_due(s: Session, before: dt.datetime) -> list[Appeal]:
    return list(s.scalars(select(Appeal).join(Complaint, Complaint.appeal_id == Appeal.id).where(
        Appeal.anonymised_at.is_(None), closed_clause(), closed_at() < before).order_by(Appeal.id)))


def other_appeals_due(s: Session, before: dt.datetime) -> list[Appeal]:
    return list(s.scalars(select(Appeal).where(
        Appeal.anonymised_at.is_(None), Appeal.received_at < before,
        ~exists().where(Complaint.appeal_id == Appeal.id)).order_by(Appeal.id)))


def reviews_due(s: Session, before: dt.datetime) -> list[Review]:
    return list(s.scalars(select(Review).where(Review.anonymised_at.is_(None), Review.appeal_id.is_(None),
                                               Review.created_at < before)))


def messages_due(s: Session, before: dt.datetime) -> list[ClientMessage]:
    return list(s.scalars(select(ClientMessage).join(Complaint, Complaint.id == ClientMessage.complaint_id).where(
        ClientMessage.anonymised_at.is_(None), closed_clause(), closed_at() < before)))


def outbox_due(s: Session, before: dt.datetime) -> list[Outbox]:
    return list(s.scalars(select(Outbox).where(Outbox.anonymised_at.is_(None), Outbox.status != "pending",
                                               Outbox.created_at < before)))


def is_closed(s: Session, complaint_id: int) -> bool:
    return s.scalar(select(Complaint.id).where(Complaint.id == complaint_id, closed_clause())) is not None
