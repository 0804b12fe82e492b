"""The one writer of history rows: seals the event's data and links the event to its instance's chain.

The chain head (last seq and hash) and the case key live on the `process_instance` row, which every use
case has loaded and saves anyway, so appending costs the event's INSERT and nothing more; the row's
version counter makes two transactions that append to one instance at once fail instead of forking it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from engine.history import chain, sealing
from models import InstanceEvent, ProcessInstance


def append(session: Session, instance: ProcessInstance, actor: str, kind: str, at: dt.datetime,
           data: dict[str, Any] | None, task_id: str | None = None, bpmn_id: str | None = None,
           step: str | None = None) -> InstanceEvent:
    """Add the next event of the instance's chain. Data is sealed with the case key (made on the first
    event); once the key was shredded, events still join the chain but carry no data."""
    if instance.id is None:
        session.flush()  # the chain names its instance; the INSERT was due in this transaction anyway
    seq = (instance.history_seq or 0) + 1
    prev = instance.history_head or chain.GENESIS
    if instance.history_key is None and instance.history_erased_at is None:
        instance.history_key = sealing.new_key()
    sealed = None
    if data and instance.history_key is not None:
        sealed = sealing.seal(instance.history_key, instance.id, seq, data)
    digest = chain.link_hash(instance.id, instance.business_key, seq, at, actor, kind, task_id, bpmn_id, step,
                             sealed, prev)
    event = InstanceEvent(instance_id=instance.id, seq=seq, at=at, actor=actor, kind=kind, task_id=task_id,
                          bpmn_id=bpmn_id, step=step, sealed=sealed, prev_hash=prev, hash=digest)
    session.add(event)
    instance.history_seq, instance.history_head = seq, digest
    return event
