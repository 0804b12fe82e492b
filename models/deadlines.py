"""Working-time records: calendar overrides, armed timers, step deadlines, the notification outbox, audit."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UUIDText, utcnow


class CalendarOverride(Base):
    """A date QMS sets apart from the production calendar: extra working day, extra day off, shortened day."""

    __tablename__ = "calendar_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    periods: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(String(300), default="")
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DepartmentCalendar(Base):
    """A department's own calendar (a branch): its time zone and its region's extra days off, on top of
    the company calendar and QMS's overrides."""

    __tablename__ = "department_calendar"
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(60))
    holidays: Mapped[list[Any]] = mapped_column(default=list)  # [["2026-12-01", "note"], …]
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Timer(Base):
    """A waiting timer event of an instance: the source of truth for the scheduler."""

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_status_due", "status", "due_at"),)
    id: Mapped[str] = mapped_column(UUIDText, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(40))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(10))
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[dt.datetime | None]


class Deadline(Base):
    """One step's deadline for one complaint: due, goal, completion, and whether it was kept."""

    __tablename__ = "deadline"
    # The unique pair's index starts with business_key: it serves lookups by complaint (migration 0014).
    __table_args__ = (UniqueConstraint("business_key", "step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_key: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[dt.datetime] = mapped_column(index=True)  # the reports count a step in its deadline's month
    goal_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    warned_at: Mapped[dt.datetime | None]
    breached_at: Mapped[dt.datetime | None]
    goal_missed_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    on_time: Mapped[bool | None]
    working_minutes: Mapped[int | None]


class Outbox(Base):
    """A notification to deliver; recipients are addresses like user:LOGIN, head:DEPT, group:СМК."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Kept so that a client's reply (In-Reply-To / References) finds the complaint it answers.
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    thread_references: Mapped[str | None] = mapped_column(Text)
    # A report sent as a file (the monthly XLSX); small enough to keep with the row until it is sent.
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    anonymised_at: Mapped[dt.datetime | None]


class AuditLog(Base):
    """Who changed a rule (calendar, definitions, clients), when, and how."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
