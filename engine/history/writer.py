"""The one writer of history rows: seals the event's data and links the event to its instance's chain.

The chain head (last seq and hash) and the case key live on the `process_instance` row, which every use
case saves anyway. Within a transaction the running head is kept aside and put on the row only when the
row is written for its own reasons, or just before commit: so a step's events, however many and whenever
the session flushes them, add no UPDATE of their own. The row's version counter, and the unique place
(instance, seq) of each event, make two transactions appending to one instance at once fail instead of
forking its chain.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import column_checks, driver_sql
from engine.errors import InvalidInput
from engine.history import chain, sealing
from models import InstanceEvent, ProcessInstance

PENDING = "history_heads"
EVENTS = "history_events"  # rows appended, not written yet: they go out together, one statement
UNIQUE_PLACE = ("uq_instance_event_instance_id", "instance_event.instance_id, instance_event.seq")


@dataclass
class _Head:
    """An instance's chain head as this transaction moved it, not yet on its row."""

    instance: ProcessInstance
    seq: int
    hash: bytes
    new_key: bytes | None  # a case key made in this transaction


def _pending(session: Session) -> dict[int, _Head]:
    return session.info.setdefault(PENDING, {})  # type: ignore[no-any-return]


def append(session: Session, instance: ProcessInstance, actor: str, kind: str, at: dt.datetime,
           data: dict[str, Any] | None, task_id: str | None = None, bpmn_id: str | None = None,
           step: str | None = None) -> None:
    """Add the next event of the instance's chain. Data is sealed with the case key (made with the first
    event); once the key was shredded, events still join the chain but carry no data."""
    typed = bool(session.info.get(column_checks.TYPED_REPLACEMENTS))
    if data and (problem := column_checks.json_problem(data, typed=typed)):
        # Sealed data is bytes to the database, so the flush-time check of JSON columns cannot see into it.
        raise InvalidInput("The input has values that cannot be stored.", {"data": [problem]})
    if task_id is not None and not _canonical_uuid(task_id):
        # The column keeps 16 bytes (PostgreSQL: uuid) while the hash covers the text: anything else would be
        # stored as something the hash does not describe.
        raise ValueError(f"task id {task_id!r} is not a canonical UUID")
    if instance.id is None:
        session.flush()  # the chain names its instance; its INSERT was due in this transaction anyway
    heads = _pending(session)
    head = heads.get(instance.id)
    seq = head.seq + 1 if head else instance.history_seq + 1
    prev = head.hash if head else instance.history_head or chain.GENESIS
    new_key = head.new_key if head else None
    key = new_key or instance.history_key
    if key is None and instance.history_erased_at is None:
        key = new_key = sealing.new_key()
    sealed = sealing.seal(key, instance.id, seq, data) if data and key is not None else None
    digest = chain.link_hash(instance.id, instance.business_key, seq, at, actor, kind, task_id, bpmn_id, step,
                             sealed, prev)
    session.info.setdefault(EVENTS, []).append({
        "instance_id": instance.id, "seq": seq, "at": at, "actor": actor, "kind": kind, "task_id": task_id,
        "bpmn_id": bpmn_id, "step": step, "sealed": sealed, "hash": digest})
    heads[instance.id] = _Head(instance, seq, digest, new_key)


def _canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def forget_key(session: Session, instance: ProcessInstance) -> None:
    """Drop the instance's case key, on its row and any made in this transaction."""
    instance.history_key = None
    head = _pending(session).get(instance.id)
    if head is not None:
        head.new_key = None


def _put_on_row(head: _Head) -> None:
    instance = head.instance
    instance.history_seq, instance.history_head = head.seq, head.hash
    if head.new_key is not None:
        instance.history_key = head.new_key


def _write_events(session: Session) -> None:
    """The events appended so far (their column values), in one INSERT sent to the driver
    (engine/driver_sql.py): the ORM would send one per row."""
    rows = session.info.pop(EVENTS, None)
    if rows:
        table = InstanceEvent.__table__
        driver_sql.compiled(InstanceEvent, lambda _dialect: insert(table).values(
            {c.key: bindparam(c.key) for c in table.c if c.key != "id"}), table,
            session.get_bind().dialect).send(session.connection(), rows)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """An instance row written in this flush anyway carries its head along; appended events are written
    before anything that the flush writes could read them."""
    _write_events(session)
    heads = session.info.get(PENDING)
    if not heads:
        return
    writing = session.dirty
    for instance_id, head in list(heads.items()):
        if head.instance in writing:
            _put_on_row(head)
            del heads[instance_id]


def _before_commit(session: Session) -> None:
    """Heads not written yet go on their rows now: the commit's flush writes them."""
    _write_events(session)
    for head in session.info.pop(PENDING, {}).values():
        _put_on_row(head)


def settle(session: Session) -> None:
    """Write the appended events and put every moved head on its row now: for a caller about to write the
    instance rows itself rather than through the flush."""
    _before_commit(session)


def take_heads(session: Session) -> list[tuple[ProcessInstance, int, bytes, bytes | None]]:
    """The heads this transaction moved and did not put on their rows yet, as (instance, seq, hash, new case
    key), taken off the session: for a caller that writes many instance rows in one statement."""
    return [(h.instance, h.seq, h.hash, h.new_key) for h in session.info.pop(PENDING, {}).values()]


def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(EVENTS, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    for name, listener in (("before_flush", _before_flush), ("before_commit", _before_commit),
                           ("after_soft_rollback", _after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def is_chain_race(err: IntegrityError) -> bool:
    """Two transactions appended to one instance at once: the later one lost the race for a place."""
    text = str(err.orig)
    return any(name in text for name in UNIQUE_PLACE)
