"""Timer projection: which timers wait, which fired, and what a fired deadline timer sets off."""
from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import rows as instance_rows
from engine.bpmn import walk
from engine.bpmn.projection import record
from engine.bpmn.rows import InstanceRows
from engine.notify import notifications
from engine.people.actor import Actor
from engine.time.calendar import WorkCalendar
from models import Complaint, Deadline, ProcessInstance, Timer

STATE = {TaskState.WAITING: "pending", TaskState.READY: "pending", TaskState.COMPLETED: "fired"}


def _due(task: Any) -> dt.datetime | None:
    value = task.task_spec.event_definition.details(task).value
    if isinstance(value, str):
        return TimerEventDefinition.get_datetime(value)
    return None


def sync(s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, complaint: Complaint | None,
         qms: str, actor: Actor, now: dt.datetime, known: InstanceRows) -> list[Timer]:
    """Bring the timer rows in line with the workflow; returns the newly armed ones."""
    rows = known.timers
    seen, armed = set(), []
    for task in walk.timer_tasks(workflow):
        tid = str(task.id)
        if tid in known.settled_timers:
            continue
        seen.add(tid)
        status = STATE.get(task.state, "cancelled")
        row = rows.get(tid)
        if row is None:
            # A cancelled timer has no row (migration 0015) whether or not it was armed before.
            due = None if status == "cancelled" else _due(task)  # evaluated once, when the timer is armed
            if due is None:
                continue
            props = task.task_spec.extensions.get("properties", {})
            row = Timer(id=tid, instance_id=instance.id, business_key=instance.business_key,
                        bpmn_id=task.task_spec.bpmn_id, kind=props.get("deadline"), step=props.get("step"),
                        due_at=due, status="pending", created_at=now)
            rows[tid] = row
            if status == "pending":
                armed.append(row)
            _arm_deadline(known, row, complaint, now)
        if row.status == "pending" and status == "fired":
            row.status, row.fired_at = "fired", now
            _fire(s, instance, row, complaint, qms, actor, now, known)
        elif row.status == "pending" and status == "cancelled":
            row.status = "cancelled"
    for tid, row in rows.items():
        if tid not in seen and row.status == "pending":
            row.status = "cancelled"
    return armed


def _deadline(s: Session, key: str, step: str) -> Deadline | None:
    return s.scalar(select(Deadline).where(Deadline.business_key == key, Deadline.step == step))


def _arm_deadline(known: InstanceRows, timer: Timer, complaint: Complaint | None, now: dt.datetime) -> None:
    if complaint is None or not timer.step or timer.kind not in ("breach", "goal"):
        return
    deadline = known.deadlines.get(timer.step)
    if deadline is None:
        deadline = Deadline(business_key=timer.business_key, step=timer.step, due_at=timer.due_at)
        known.deadlines[timer.step] = deadline
    if timer.kind == "goal":
        deadline.goal_at = timer.due_at
        return
    if deadline.completed_at is not None:
        deadline.completed_at, deadline.on_time, deadline.breached_at, deadline.warned_at = None, None, None, None
    deadline.due_at = timer.due_at
    deadline.started_at = now if timer.step != "1.6" else complaint.registered_at


def complete_step(known: InstanceRows, step: str | None, started_at: dt.datetime, calendar: WorkCalendar,
                  now: dt.datetime) -> None:
    if not step:
        return
    deadline = known.deadlines.get(step)
    if deadline is None:
        return
    deadline.completed_at = now
    deadline.on_time = now <= deadline.due_at
    spent = calendar.working_time_between(deadline.started_at or started_at, now)
    deadline.working_minutes = int(spent.total_seconds() // 60)


def recipients(complaint: Complaint, kind: str, qms: str) -> list[str]:
    owner = f"user:{complaint.responsible_user.login}" if complaint.responsible_user else \
        f"responsible:{complaint.responsible_id}" if complaint.responsible_id else f"group:{qms}"
    if kind == "warning":
        return [owner]
    if kind == "goal":
        return [owner, f"group:{qms}"]
    department = complaint.department.code if complaint.department else qms
    return list(dict.fromkeys([owner, f"head:{department}", f"group:{qms}"]))


def _fire(s: Session, instance: ProcessInstance, timer: Timer, complaint: Complaint | None, qms: str,
          actor: Actor, now: dt.datetime, known: InstanceRows) -> None:
    record(s, instance, actor, f"timer_{timer.kind or 'fired'}", now,
           {"timer": timer.bpmn_id, "step": timer.step, "due_at": timer.due_at.isoformat()})
    if complaint is None or timer.kind not in ("warning", "breach", "goal") or not timer.step:
        return
    deadline = known.deadlines.get(timer.step)
    if deadline is not None:
        if timer.kind == "warning":
            deadline.warned_at = now
        elif timer.kind == "breach":
            deadline.breached_at = now
        else:
            deadline.goal_missed_at = now
    open_task = known.open_task_of_step(timer.step)
    context = {"number": timer.business_key, "step": timer.step, "due_at": timer.due_at.isoformat(),
               "task": open_task.name if open_task else "—"}
    for recipient in recipients(complaint, timer.kind, qms):
        notifications.enqueue(s, f"deadline_{timer.kind}", recipient, f"{timer.id}:{recipient}", context, now,
                              timer.business_key)


def set_task_due_dates(s: Session, instance: ProcessInstance, known: InstanceRows | None = None) -> None:
    known = known or instance_rows.of(s, instance)
    for task in known.tasks.values():
        deadline = known.deadlines.get(task.step) if task.step else None
        if deadline is not None and task.status == "open" and not _same(task.due_at, deadline.due_at):
            task.due_at = deadline.due_at


def due_timers_query(now: dt.datetime) -> Any:
    return select(Timer.instance_id).where(Timer.status == "pending", Timer.due_at < now).distinct()


def claim_due(s: Session, instance_id: int, now: dt.datetime) -> list[Timer]:
    """Lock this instance's due timers; a second scheduler skips them (SKIP LOCKED on PostgreSQL)."""
    stmt = select(Timer).where(Timer.instance_id == instance_id, Timer.status == "pending", Timer.due_at < now)
    return list(s.scalars(stmt.with_for_update(skip_locked=True)))


def mark_failed(s: Session, instance_id: int, now: dt.datetime) -> None:
    """Stop retrying timers whose firing opened an incident; retrying the incident re-arms them."""
    for timer in s.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.status == "pending",
                                               Timer.due_at < now)):
        timer.status = "failed"
    instance = s.get(ProcessInstance, instance_id)
    if instance is not None:
        instance.status = "incident"


def rearm_failed(s: Session, instance_id: int) -> None:
    known = s.info.get(instance_rows.KEY, {}).get(instance_id)
    for timer in s.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.status == "failed")):
        timer.status = "pending"
        if known is not None:  # this transaction's rows of the instance wait for it again
            known.settled_timers.discard(timer.id)
            known.timers[timer.id] = timer


def next_pending_due(s: Session, after: dt.datetime) -> dt.datetime | None:
    """The earliest due moment of a pending timer later than `after` (one index lookup)."""
    return s.scalar(select(func.min(Timer.due_at)).where(Timer.status == "pending", Timer.due_at > after))


def deadline_timer_specs(deployed: Any) -> list[Any]:
    """Timer event specs that carry a `deadline` property, in every process of a definition."""
    found = []
    for process in [deployed.spec, *deployed.subprocess_specs.values()]:
        for spec in process.task_specs.values():
            event = getattr(spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition) and "deadline" in spec.extensions.get("properties", {}):
                found.append(spec)
    return found


def plan_deadlines(complaint: Complaint, planned: dict[str, Any]) -> list[Deadline]:
    """Deadlines known at registration (anchored on it) exist before their steps open, so the card and
    the reports show them from the start. Returned unsaved: the process's first save writes them."""
    return [Deadline(business_key=complaint.number, step=step["code"],
                     due_at=dt.datetime.fromisoformat(step["due_at"]),
                     goal_at=dt.datetime.fromisoformat(planned["goal_at"])
                     if step["code"] == "1.6" and planned["goal_at"] else None)
            for step in planned["steps"]]


def warn_provisional(s: Session, years: list[int], qms: str, now: dt.datetime) -> None:
    """Tell QMS, once per year, that deadlines are computed without that year's transfer decree."""
    for year in years:
        notifications.enqueue(s, "calendar_provisional", f"group:{qms}", f"calendar-provisional:{year}",
                              {"year": year}, now)


def move_dues(s: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> list[dt.datetime]:
    """After a version change re-armed the waiting timers: pending rows and their step deadlines take the
    due times the workflow now holds (a deadline's start is kept). Returns the due times that moved."""
    rows = {r.id: r for r in s.scalars(select(Timer).where(Timer.instance_id == instance.id,
                                                           Timer.status == "pending"))}
    moved = []
    for task in walk.timer_tasks(workflow):
        row, due = rows.get(str(task.id)), _due(task)
        if row is None or due is None or task.state != TaskState.WAITING or _same_moment(row.due_at, due):
            continue
        row.due_at = due
        moved.append(due)
        deadline = _deadline(s, row.business_key, row.step) if row.step else None
        if deadline is not None and row.kind == "breach":
            deadline.due_at = due
        elif deadline is not None and row.kind == "goal":
            deadline.goal_at = due
    return moved


def _same(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    """One moment, whichever side SQLite handed back naive (UTC)."""
    return a is not None and b is not None and _same_moment(a, b if b.tzinfo else b.replace(tzinfo=dt.UTC))


def _same_moment(stored: dt.datetime, due: dt.datetime) -> bool:
    # SQLite hands back naive UTC moments.
    return (stored if stored.tzinfo else stored.replace(tzinfo=dt.UTC)) == due
