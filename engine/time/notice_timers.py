"""Timers that only give notice: fired many instances at a time without loading a workflow.

Which timers qualify is read from the diagram, so it holds for every instance of a deployed version and a
changed diagram is judged again: a non-interrupting boundary timer with a `deadline` property whose only path
is a plain end event. The engine firing one would complete that path and change nothing else in the workflow
but the timer's own projection (`timers._fire`): its row, one history event, the step's deadline mark and the
notifications. That is what `fire` writes here, for a batch of instances in one transaction.

SpiffWorkflow still holds such a timer as waiting; it fires it when the instance is next loaded, and
`timers.sync` then finds the row already fired and does nothing more.
"""
from __future__ import annotations

import datetime as dt
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session, defer, joinedload

from engine.bpmn.definitions import Deployed
from engine.errors import ConcurrentUpdate
from engine.history import writer as history
from engine.messages import Message
from engine.notify import notifications
from engine.time.timers import recipients
from models import Complaint, Deadline, Outbox, ProcessInstance, Task, Timer

ACTOR = "scheduler"
MARKS = {"warning": "warned_at", "breach": "breached_at", "goal": "goal_missed_at"}  # what a fired kind sets
_BY_SPEC: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


# --- which timers: decided from the diagram --------------------------------------------------------------------
def _has_script(spec: Any) -> bool:
    return bool(getattr(spec, "prescript", None) or getattr(spec, "postscript", None))


def _only_ends(spec: Any) -> bool:
    """The boundary event leads to one plain end event (no result, no script, no data) and nothing else."""
    paths = [o for o in spec.outputs if not isinstance(o, BoundaryEventJoin)]
    if len(paths) != 1:
        return False
    end = paths[0]
    return (isinstance(end, EndEvent) and type(end.event_definition) is NoneEventDefinition
            and not _has_script(end) and not getattr(end, "data_output_associations", None)
            and all(isinstance(o, _EndJoin) for o in end.outputs))


def _gives_notice(spec: Any) -> bool:
    return (isinstance(spec, BoundaryEvent) and not spec.cancel_activity
            and isinstance(spec.event_definition, TimerEventDefinition)
            and "deadline" in spec.extensions.get("properties", {})
            and not _has_script(spec) and not getattr(spec, "data_output_associations", None)
            and _only_ends(spec))


def notice_timer_ids(deployed: Deployed) -> frozenset[str]:
    """BPMN ids of the definition's timers whose firing only records and notifies. An id that names elements in
    several processes qualifies only when every one of them does."""
    found = _BY_SPEC.get(deployed.spec)
    if found is None:
        verdicts: dict[str, bool] = {}
        for process in [deployed.spec, *deployed.subprocess_specs.values()]:
            for spec in process.task_specs.values():
                if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
                    bpmn_id = spec.bpmn_id
                    verdicts[bpmn_id] = verdicts.get(bpmn_id, True) and _gives_notice(spec)
        found = frozenset(k for k, ok in verdicts.items() if ok)
        _BY_SPEC[deployed.spec] = found
    return found


# --- firing a batch ---------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    fired: list[str] = field(default_factory=list)  # business keys
    for_engine: list[int] = field(default_factory=list)  # instances that turned out to need the engine
    passed: list[int] = field(default_factory=list)  # instances whose due timers another scheduler holds


def fire(s: Session, definitions: Callable[[int], Deployed], instance_ids: Iterable[int], now: dt.datetime,
         fired_at: dt.datetime, qms: str) -> Outcome:
    """Fire the due notice timers of these instances in the open transaction. An instance with a due timer
    that is not a notice timer, or that is not active, is left whole to the engine."""
    ids = sorted(set(instance_ids))
    outcome = Outcome()
    # Instances first, in one order, then their timers: the order a completion and the engine's firing take.
    instances = {i.id: i for i in s.scalars(
        select(ProcessInstance).where(ProcessInstance.id.in_(ids)).order_by(ProcessInstance.id)
        .options(defer(ProcessInstance.state)).with_for_update().execution_options(populate_existing=True))}
    # Plain rows, not ORM objects: the batch's own statements below write them in bulk.
    due: dict[int, list[Row[Any]]] = defaultdict(list)
    for timer in s.execute(select(Timer.id, Timer.instance_id, Timer.business_key, Timer.bpmn_id, Timer.kind,
                                  Timer.step, Timer.due_at).where(
            Timer.instance_id.in_(ids), Timer.status == "pending", Timer.due_at < now)
            .order_by(Timer.due_at, Timer.id).with_for_update(skip_locked=True)):
        due[timer.instance_id].append(timer)
    firing = []
    for instance_id in ids:
        instance, timers = instances.get(instance_id), due.get(instance_id)
        if instance is None or not timers:
            outcome.passed.append(instance_id)
        elif instance.status != "active" or not _all_notices(definitions(instance.definition_id), timers):
            outcome.for_engine.append(instance_id)
        else:
            firing.append((instance, timers))
    if firing:
        _write(s, firing, fired_at, qms)
        outcome.fired = [instance.business_key for instance, _ in firing]
    return outcome


def _all_notices(deployed: Deployed, timers: list[Row[Any]]) -> bool:
    allowed = notice_timer_ids(deployed)
    return all(t.bpmn_id in allowed for t in timers)


def _write(s: Session, firing: list[tuple[ProcessInstance, list[Row[Any]]]], now: dt.datetime, qms: str) -> None:
    keys = [instance.business_key for instance, _ in firing]
    complaints = {c.number: c for c in s.scalars(select(Complaint).where(Complaint.number.in_(keys)).options(
        joinedload(Complaint.responsible_user), joinedload(Complaint.department)))}
    open_tasks: dict[tuple[str, str | None], str] = {}
    for key, step, name in s.execute(select(Task.business_key, Task.step, Task.name).where(
            Task.business_key.in_(keys), Task.status == "open").order_by(Task.created_at)):
        open_tasks.setdefault((key, step), name)
    letters, marked = _Letters(s, now), defaultdict(set)
    for instance, timers in firing:
        complaint = complaints.get(instance.business_key)
        for timer in timers:
            if complaint is None or timer.kind not in MARKS or not timer.step:
                continue
            marked[timer.kind].add((timer.business_key, timer.step))
            context = {"number": timer.business_key, "step": timer.step, "due_at": timer.due_at.isoformat(),
                       "task": open_tasks.get((timer.business_key, timer.step), "—")}
            for recipient in recipients(complaint, timer.kind, qms):
                letters.add(f"deadline_{timer.kind}", recipient, f"{timer.id}:{recipient}", context,
                            timer.business_key)
    outbox = letters.render()
    # Everything is read and rendered: the writes come last and together, so SQLite's one write lock (taken at
    # the first of them) is held for the writes alone.
    for instance, timers in firing:
        for timer in timers:
            history.append(s, instance, ACTOR, f"timer_{timer.kind or 'fired'}", now,
                           {"timer": timer.bpmn_id, "step": timer.step, "due_at": timer.due_at.isoformat()})
    _write_heads(s, now)
    ids = [t.id for _, timers in firing for t in timers]
    marked_fired = s.execute(update(Timer).where(Timer.id.in_(ids), Timer.status == "pending")
                             .values(status="fired", fired_at=now).execution_options(synchronize_session=False))
    if marked_fired.rowcount != len(ids):  # SQLite has no row locks: a completion cancelled one meanwhile
        raise ConcurrentUpdate(Message("Someone else changed this process at the same moment; reload."))
    # One UPDATE per (kind, step), keyed by the step and a plain list of numbers: PostgreSQL plans a
    # `(business_key, step) IN (…)` of a hundred pairs as a hundred-branch OR and walks it for every row.
    for kind, pairs in marked.items():
        by_step: dict[str, list[str]] = defaultdict(list)
        for key, step in sorted(pairs):
            by_step[step].append(key)
        for step, numbers in by_step.items():
            s.execute(update(Deadline).where(Deadline.step == step, Deadline.business_key.in_(numbers))
                      .values({MARKS[kind]: now}).execution_options(synchronize_session=False))
    if outbox:
        s.execute(insert(Outbox), outbox)


def _write_heads(s: Session, now: dt.datetime) -> None:
    """Every instance row of the batch takes its new chain head in one statement, its revision checked and
    moved as the ORM's version counter does, so a concurrent save of one of them fails instead of forking."""
    table = ProcessInstance.__table__
    rows = [{"_id": instance.id, "_revision": instance.revision, "_seq": seq, "_head": head,
             "_key": new_key or instance.history_key, "_at": now}
            for instance, seq, head, new_key in history.take_heads(s)]
    if not rows:
        return
    result = s.execute(update(table).where(table.c.id == bindparam("_id"), table.c.revision == bindparam("_revision"))
                       .values(history_seq=bindparam("_seq"), history_head=bindparam("_head"),
                               history_key=bindparam("_key"), updated_at=bindparam("_at"),
                               revision=table.c.revision + 1), rows)
    if result.rowcount != len(rows):
        raise ConcurrentUpdate(Message("Someone else changed this process at the same moment; reload."))


SUBJECT = Outbox.subject.type.length


class _Letters:
    """The batch's notifications: each once by its dedupe key, as `notifications.enqueue` adds them, with each
    template compiled once for the batch."""

    def __init__(self, s: Session, now: dt.datetime) -> None:
        self._s, self._now = s, now
        self._rows: dict[str, tuple[str, str, dict[str, Any], str]] = {}

    def add(self, kind: str, recipient: str, dedupe_key: str, context: dict[str, Any], business_key: str) -> None:
        self._rows.setdefault(dedupe_key, (kind, recipient, context, business_key))

    def render(self) -> list[dict[str, Any]]:
        """The outbox rows to insert: the letters not enqueued before, rendered."""
        if not self._rows:
            return []
        sent = set(self._s.scalars(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(list(self._rows)))))
        renderers: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {}
        rows: list[dict[str, Any]] = []
        for dedupe_key, (kind, recipient, context, business_key) in self._rows.items():
            if dedupe_key in sent:
                continue
            render = renderers.get(kind) or renderers.setdefault(kind, notifications.renderer(self._s, kind))
            subject, body = render(context)
            rows.append({"dedupe_key": dedupe_key, "kind": kind, "recipient": recipient, "business_key": business_key,
                         "subject": notifications.tagged(subject, business_key)[:SUBJECT], "body": body,
                         "status": "pending", "attempts": 0, "created_at": self._now, "next_attempt_at": self._now})
        return rows
