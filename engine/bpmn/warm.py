"""The warm cache: each recently saved instance's workflow and projection rows, kept in this process.

Loading an instance means decompressing and deserializing its whole SpiffWorkflow state, and its projections
(open tasks, timers, deadlines) are three more queries. A use case that saved an instance leaves both here
after its commit; the next use case on that instance takes them instead of reading, when the row it locked
still has the revision and history head it had then. Every change to an instance writes its row (the
revision counts each UPDATE) and every recorded event moves its history head, so an entry whose key still
matches describes exactly what the database holds. An entry is taken out while a transaction works on it and
put back only after that transaction committed: a failed step never leaves a half-run workflow here.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy.orm import Session

from engine.bpmn import rows as instance_rows
from models import Deadline, ProcessInstance, Task, Timer

PENDING = "warm_pending"
IN_TRANSACTION = "warm_in_transaction"  # set by the runtime's transaction: loads outside one are read only


def key_of(instance: ProcessInstance) -> tuple[Any, ...]:
    return instance.definition_id, instance.revision, instance.history_head


@dataclass
class Entry:
    key: tuple[Any, ...]
    workflow: BpmnWorkflow
    tasks: list[dict[str, Any]]
    timers: list[dict[str, Any]]
    settled_timers: set[str]
    deadlines: list[dict[str, Any]]


class WarmCache:
    """Entries by instance id, the least recently used dropped beyond `size` (0 turns the cache off)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, s: Session, instance: ProcessInstance) -> BpmnWorkflow | None:
        """The instance's workflow if the entry matches its row; its rows join this transaction too."""
        if not s.info.get(IN_TRANSACTION):
            return None
        with self._lock:
            entry = self._entries.pop(instance.id, None)
        if entry is None or entry.key != key_of(instance):
            self.misses += 1
            return None
        self.hits += 1
        instance_rows.put(s, instance.id, instance_rows.InstanceRows(
            tasks={v["id"]: instance_rows.adopt(s, Task, v) for v in entry.tasks},
            timers={v["id"]: instance_rows.adopt(s, Timer, v) for v in entry.timers},
            settled_timers=set(entry.settled_timers),
            deadlines={v["step"]: instance_rows.adopt(s, Deadline, v) for v in entry.deadlines}))
        return entry.workflow

    def saved(self, s: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        """Note a workflow saved in this transaction; `settle` takes its final picture after the flush."""
        s.info.setdefault(PENDING, {})[instance.id] = (instance, workflow)

    def settle(self, s: Session) -> list[tuple[int, Entry]]:
        """After the last flush: the entries this transaction will leave, once it commits."""
        ready = []
        for instance_id, (instance, workflow) in s.info.pop(PENDING, {}).items():
            rows = s.info.get(instance_rows.KEY, {}).get(instance_id)
            if rows is None or instance.status == "completed" or self.size == 0:
                continue
            ready.append((instance_id, Entry(
                key_of(instance), workflow,
                [instance_rows.columns(t) for t in rows.tasks.values() if t.status == "open"],
                [instance_rows.columns(t) for t in rows.timers.values() if t.status == "pending"],
                rows.settled_timers | {t.id for t in rows.timers.values() if t.status != "pending"},
                [instance_rows.columns(d) for d in rows.deadlines.values()])))
        return ready

    def keep(self, entries: list[tuple[int, Entry]]) -> None:
        """After commit."""
        with self._lock:
            for instance_id, entry in entries:
                self._entries[instance_id] = entry
                self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, s: Session) -> None:
        s.info.pop(PENDING, None)
        s.info.pop(IN_TRANSACTION, None)
        instance_rows.forget(s)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
