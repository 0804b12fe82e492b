"""Engine records: deployed definitions, instances, open-task and history projections, incidents."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UUIDText, utcnow
from models.directory import User


class ProcessDefinition(Base):
    """One deployed version of a process: the parsed spec stored once, keyed by its hash."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    spec_json: Mapped[str] = mapped_column(Text)
    sources: Mapped[dict[str, Any]]
    deployed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    business_key: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # PostgreSQL keeps the state in the row (STORAGE MAIN, migration 0014) rather than in TOAST: each save
    # then leaves a dead row version that page pruning reclaims, not a TOAST value only VACUUM does.
    state: Mapped[bytes] = mapped_column(LargeBinary)
    revision: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    # The history chain's head and the case key that seals its event data (engine/history). Kept here
    # because this row is loaded and saved by every use case anyway: appending costs no extra statement.
    history_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    history_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    history_head: Mapped[bytes | None] = mapped_column(LargeBinary)
    history_erased_at: Mapped[dt.datetime | None]
    history_erased_reason: Mapped[str | None] = mapped_column(String(200))
    definition: Mapped[ProcessDefinition] = relationship()

    __mapper_args__ = {"version_id_col": revision}


class Task(Base):
    """Projection of a human task: open ones drive the inbox, finished ones the step history."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_status_group", "status", "candidate_group"),)
    id: Mapped[str] = mapped_column(UUIDText, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(40), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    step: Mapped[str | None] = mapped_column(String(10))
    lane: Mapped[str | None] = mapped_column(String(100))
    candidate_group: Mapped[str | None] = mapped_column(String(40))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    form: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[User | None] = relationship()


class InstanceEvent(Base):
    """Append-only history of an instance: who did what, when, with which data. Each event is a link of
    its instance's hash chain; its data is sealed with the case key (engine/history), and the database
    refuses UPDATE and DELETE on these rows (triggers made by migration 0010). The hash covers the previous
    event's hash, which is not stored again: it is the hash of the event at seq - 1 (migration 0014)."""

    __tablename__ = "instance_event"
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    seq: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(UUIDText)
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    step: Mapped[str | None] = mapped_column(String(10))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)
    # Never loaded (lazy="raise"); it tells a flush to save the instance (its head, under its version
    # check) before its events, so a racing append fails as a stale instance, not as a repeated seq.
    instance: Mapped[ProcessInstance] = relationship(lazy="raise")


class Incident(Base):
    """A failure that needs a person: a script, expression or timer that raised."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(String(40))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    resolved_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(Text)


class ProcessDraft(Base):
    """A process owner's unfinished edit of a process: the bundle in the deployment's shape, one per process."""

    __tablename__ = "process_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    bundle: Mapped[dict[str, Any]]
    base_version: Mapped[int | None]
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
