"""Business records: counterparties, contacts, appeals (обращения) and complaints (претензии)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.directory import Department, Responsible, User

APPEAL_TYPES = ("complaint", "objection", "request", "interest", "gratitude", "suggestion")
CHANNELS = (
    "phone", "visit", "via_specialist", "quality_call", "site_1c_order", "site_form", "letter",
    "email", "1c_connect", "rate_manager", "delivery_rating", "social", "internal",
)
IMPORTANCE = ("high", "normal")
JUSTIFICATION = ("justified", "unjustified", "partly_justified")
COMPLAINT_KINDS = ("external", "internal")


class Counterparty(Base):
    __tablename__ = "counterparty"
    # The lookups a registration makes (migration 0018): a counterparty without an INN is found by its name.
    __table_args__ = (Index("ix_counterparty_name", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    inn: Mapped[str | None] = mapped_column(String(12), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_counterparty_name", "counterparty_id", "full_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparty.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(200))


class Appeal(Base):
    """Every incoming message, whatever its type; registered the moment it arrives."""

    __tablename__ = "appeal"
    __table_args__ = (Index("ix_appeal_counterparty_received", "counterparty_id", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), default="unprocessed")
    importance: Mapped[str] = mapped_column(String(10), default="normal")
    kind: Mapped[str] = mapped_column(String(10), default="external")
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    previous_appeals_text: Mapped[str | None] = mapped_column(Text)
    situation_date: Mapped[dt.date | None] = mapped_column(Date)
    software: Mapped[str | None] = mapped_column(String(300))
    work_done: Mapped[str | None] = mapped_column(Text)
    project: Mapped[str | None] = mapped_column(String(200))
    tendency: Mapped[str | None] = mapped_column(String(200))
    # A reminder to its responsible at this moment (the outbox), sent once: `reminder_sent_at` marks it.
    remind_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reminder_sent_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    # How an appeal that is not a complaint was handled: «обработан» with this resolution, by whom.
    resolution: Mapped[str | None] = mapped_column(Text)
    processed_by: Mapped[str | None] = mapped_column(String(200))
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparty.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("responsible.id"))
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the personal data of the case (this appeal, its complaint and what hangs on them) was removed.
    anonymised_at: Mapped[dt.datetime | None]

    counterparty: Mapped[Counterparty | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    department: Mapped[Department | None] = relationship()
    responsible: Mapped[Responsible | None] = relationship()
    author_user: Mapped[User | None] = relationship()


class Complaint(Base):
    """The two-stage case (претензия) opened from a complaint appeal, its basis."""

    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_counterparty_registered", "counterparty_id", "registered_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id"), unique=True)
    registered_at: Mapped[dt.datetime] = mapped_column(index=True)
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparty.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("responsible.id"))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(10), default="external")
    importance: Mapped[str] = mapped_column(String(10), default="normal")
    justification: Mapped[str | None] = mapped_column(String(20))
    stage: Mapped[int] = mapped_column(default=1)
    stage1_status: Mapped[str] = mapped_column(String(20), default="open")
    stage2_status: Mapped[str | None] = mapped_column(String(20))
    correction: Mapped[str | None] = mapped_column(Text)
    implementation_date: Mapped[dt.date | None] = mapped_column(Date)
    compensation: Mapped[str | None] = mapped_column(String(40))
    satisfied: Mapped[bool | None]
    loyal: Mapped[bool | None]
    # The reports select by these moments (the month received, the month closed).
    stage1_closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    stage2_closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    appeal: Mapped[Appeal] = relationship()
    counterparty: Mapped[Counterparty | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    department: Mapped[Department | None] = relationship()
    responsible: Mapped[Responsible | None] = relationship()
    responsible_user: Mapped[User | None] = relationship()
    participants: Mapped[list[AnalysisParticipant]] = relationship(
        cascade="all, delete-orphan", order_by="AnalysisParticipant.id"
    )
    nonconformities: Mapped[list[Nonconformity]] = relationship(
        cascade="all, delete-orphan", order_by="Nonconformity.id"
    )
    corrective_actions: Mapped[list[CorrectiveAction]] = relationship(
        cascade="all, delete-orphan", order_by="CorrectiveAction.id", back_populates="complaint"
    )


class AnalysisParticipant(Base):
    """A department taking part in the stage-2 analysis, with what it did."""

    __tablename__ = "analysis_participant"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(40))
    actions: Mapped[str] = mapped_column(Text)


class Nonconformity(Base):
    __tablename__ = "nonconformity"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(40))
    process: Mapped[str] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)


class CorrectiveAction(Base):
    """A corrective task of stage 2 that removes the cause of a nonconformity."""

    __tablename__ = "corrective_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str] = mapped_column(String(200))
    # The user the task reaches (their inbox), when the assignee was chosen from the users.
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    done_on: Mapped[dt.date | None] = mapped_column(Date)

    complaint: Mapped[Complaint] = relationship(back_populates="corrective_actions")
    assignee_user: Mapped[User | None] = relationship()


class Attachment(Base):
    """A file attached to an appeal; the bytes live in the attachments folder under `stored_name`."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    client_message_id: Mapped[int | None] = mapped_column(ForeignKey("client_message.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
