"""Event data under lock: sealed with its case's key, opened for readers, made unreadable by shredding the key.

Each process instance (a case) has its own AES-256-GCM key on its `process_instance` row. An event's data is
stored only as ciphertext, and the hash chain covers that ciphertext, so erasing a person's data is
destroying one key: the data can no longer be read from this database, while every hash stays true
(a backup made before the erasure still holds the key: see the README on backups).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from engine.history import chain, writer
from engine.history.sealing import open_sealed
from models import InstanceEvent, ProcessInstance, utcnow

REASON_LENGTH = 200


@dataclass(frozen=True)
class OpenedEvent:
    """A history event as readers see it: its columns, its place in the chain, and its data opened.
    `data` is None and `erased` True once the case's key was shredded. `prev_hash` is the hash of the event
    before it (64 zeros for the first; empty when that event is missing from the database)."""

    id: int
    instance_id: int
    business_key: str
    seq: int
    at: dt.datetime
    actor: str
    kind: str
    task_id: str | None
    bpmn_id: str | None
    step: str | None
    data: dict[str, Any] | None
    erased: bool
    prev_hash: str
    hash: str


def open_event(event: InstanceEvent, instance: ProcessInstance, prev_hash: bytes | None) -> OpenedEvent:
    """One event of this instance with its data opened (None when the case key was shredded)."""
    erased = instance.history_erased_at is not None
    data: dict[str, Any] | None
    if erased:
        data = None
    elif event.sealed is None or instance.history_key is None:
        data = {}
    else:
        data = open_sealed(instance.history_key, event.instance_id, event.seq, event.sealed)
    return OpenedEvent(id=event.id, instance_id=event.instance_id, business_key=instance.business_key,
                       seq=event.seq, at=event.at, actor=event.actor, kind=event.kind, task_id=event.task_id,
                       bpmn_id=event.bpmn_id, step=event.step, data=data, erased=erased,
                       prev_hash=prev_hash.hex() if prev_hash is not None else "", hash=event.hash.hex())


def opened_events(session: Session, instance_ids: Iterable[int], kinds: Sequence[str] | None = None
                  ) -> list[OpenedEvent]:
    """The events of these instances with their data opened, in chain order (instance, seq).
    Every reader of event data goes through here: nothing else holds the keys."""
    ids = list(instance_ids)
    if not ids:
        return []
    before = aliased(InstanceEvent)  # the event at seq - 1, through the unique index on (instance, seq)
    stmt = (select(InstanceEvent, ProcessInstance, before.hash)
            .join(ProcessInstance, ProcessInstance.id == InstanceEvent.instance_id)
            .outerjoin(before, and_(before.instance_id == InstanceEvent.instance_id,
                                    before.seq == InstanceEvent.seq - 1))
            .where(InstanceEvent.instance_id.in_(ids))
            .order_by(InstanceEvent.instance_id, InstanceEvent.seq))
    if kinds is not None:
        stmt = stmt.where(InstanceEvent.kind.in_(list(kinds)))
    return [open_event(event, instance, chain.GENESIS if event.seq == 1 else prev)
            for event, instance, prev in session.execute(stmt)]


def events_of_business_key(session: Session, business_key: str, kinds: Sequence[str] | None = None
                           ) -> list[OpenedEvent]:
    """Every event of every instance of a business key (a complaint), oldest first."""
    ids = session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == business_key))
    return sorted(opened_events(session, ids, kinds), key=lambda e: (e.at, e.instance_id, e.seq))


def shred(session: Session, instance_ids: Iterable[int], reason: str, actor: str = "system") -> int:
    """Destroy the case keys of these instances so their history data can never be read again; note when
    and why on each instance and append a `history_erased` event to its chain (which stays verifiable).
    The reason is kept in plain text: it must not contain personal data. Returns how many instances
    were shredded now (already shredded ones are left as they are). Runs in the caller's transaction."""
    reason = reason.strip()[:REASON_LENGTH] or "erasure"
    ids = sorted(set(instance_ids))
    if not ids:
        return 0
    stmt = select(ProcessInstance).where(ProcessInstance.id.in_(ids)).order_by(ProcessInstance.id)
    done, now = 0, utcnow()
    for instance in session.scalars(stmt.with_for_update().execution_options(populate_existing=True)):
        if instance.history_erased_at is not None:
            continue
        writer.forget_key(session, instance)
        instance.history_erased_at, instance.history_erased_reason = now, reason
        writer.append(session, instance, actor, "history_erased", now, None)
        done += 1
    session.flush()
    return done
