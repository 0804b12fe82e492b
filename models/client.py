"""The client's side of a complaint: the e-mail conversation, the client's own verdict, status-page look-ups."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.complaints import Complaint
from models.deadlines import Outbox


class ClientMessage(Base):
    """One message of the conversation with the client: theirs (`in`, from e-mail) or ours (`out`, via the outbox)."""

    __tablename__ = "client_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sender_name: Mapped[str | None] = mapped_column(String(200))
    sender_email: Mapped[str | None] = mapped_column(String(200))
    # An incoming message from an address other than the complaint's contact is kept but marked.
    from_contact: Mapped[bool] = mapped_column(default=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    anonymised_at: Mapped[dt.datetime | None]
    outbox: Mapped[Outbox | None] = relationship()
    complaint: Mapped[Complaint] = relationship()


class ClientSurvey(Base):
    """The client's own verdict on stage 1, asked through a one-time link; apart from the responsible's outcome."""

    __tablename__ = "client_survey"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the token itself is only in the e-mail
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    answered_at: Mapped[dt.datetime | None]
    solved: Mapped[bool | None]
    satisfaction: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))


class TrackAttempt(Base):
    """One look-up on the public status page, counted per address to limit guessing."""

    __tablename__ = "track_attempt"
    __table_args__ = (Index("ix_track_attempt_ip_at", "ip", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
