"""What the intake channels leave behind: consents, ratings, idempotency records, ingested mail, templates."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.complaints import Appeal


class Consent(Base):
    """A consent given on a public form: whose, to which version of the text, for what, through which channel,
    when, and when it was withdrawn. Erasure keeps the record and drops the identity (`erased_at`)."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_ip_at", "ip", "given_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # personal_data, user_agreement, publish_review
    text_version: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    # Whose consent it is, as the person gave it on the form (the register is searched by these).
    person: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    inn: Mapped[str | None] = mapped_column(String(12))
    purpose: Mapped[str] = mapped_column(String(40), default="")
    channel: Mapped[str] = mapped_column(String(30), default="")
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawal_note: Mapped[str | None] = mapped_column(String(300))
    erased_at: Mapped[dt.datetime | None]
    appeal: Mapped[Appeal | None] = relationship()


class Review(Base):
    """A 1-5 rating: of a named employee ("tell my manager how I work") or of a delivery."""

    __tablename__ = "review"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # manager, delivery
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_contact: Mapped[str | None] = mapped_column(String(200))
    publish: Mapped[bool] = mapped_column(default=False)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[dt.datetime | None]


class IdempotencyRecord(Base):
    """The answer given to an API client's request with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("client_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IngestedMessage(Base):
    """An e-mail turned into an appeal, by Message-ID, so that reading the mailbox again skips it."""

    __tablename__ = "ingested_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id"))
    client_message_id: Mapped[int | None] = mapped_column(ForeignKey("client_message.id"))
    mailbox: Mapped[str] = mapped_column(String(300))
    ingested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NotificationTemplate(Base):
    """Subject and body of one kind of notification, in Russian, editable by QMS (Jinja, sandboxed)."""

    __tablename__ = "notification_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
