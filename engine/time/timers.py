"""Timer projection: which timers wait, which fired, and what a fired deadline timer sets off."""
from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.bpmn.projection import record
from engine.notify import notifications
from engine.people.actor import Actor
from engine.time.calendar import WorkCalendar
from models import Complaint, Deadline, ProcessInstance, Task, Timer

STATE = {TaskState.WAITING: "pending", TaskState.READY: "pending", TaskState.COMPLETED: "fired"}


def timer_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return [t for t in workflow.get_tasks(spec_class=CatchingEvent)
            if isinstance(t.task_spec.event_definition, TimerEventDefinition)]


def _due(task: Any) -> dt.datetime | None:
    value = task.task_spec.event_definition.details(task).value
    if isinstance(value, str):
        return TimerEventDefinition.get_datetime(value)
    return None


def sync(s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, complaint: Complaint | None,
         qms: str, actor: Actor, now: dt.datetime) -> list[Timer]:
    """Bring the timer rows in line with the workflow; returns the newly armed ones."""
    rows = {r.id: r for r in s.scalars(select(Timer).where(Timer.instance_id == instance.id))}
    seen, armed = set(), []
    for task in timer_tasks(workflow):
        tid = str(task.id)
        seen.add(tid)
        status = STATE.get(task.state, "cancelled")
        row = rows.get(tid)
        due = _due(task)
        if row is None:
            if status == "cancelled" or due is None:
                continue
            props = task.task_spec.extensions.get("properties", {})
            row = Timer(id=tid, instance_id=instance.id, business_key=instance.business_key,
                        bpmn_id=task.task_spec.bpmn_id, kind=props.get("deadline"), step=props.get("step"),
                        due_at=due, status="pending", created_at=now)
            s.add(row)
            if status == "pending":
                armed.append(row)
            _arm_deadline(s, row, complaint, now)
        if row.status == "pending" and status == "fired":
            row.status, row.fired_at = "fired", now
            _fire(s, instance, row, complaint, qms, actor, now)
        elif row.status == "pending" and status == "cancelled":
            row.status = "cancelled"
    for tid, row in rows.items():
        if tid not in seen and row.status == "pending":
            row.status = "cancelled"
    return armed


def _deadline(s: Session, key: str, step: str) -> Deadline | None:
    return s.scalar(select(Deadline).where(Deadline.business_key == key, Deadline.step == step))


def _arm_deadline(s: Session, timer: Timer, complaint: Complaint | None, now: dt.datetime) -> None:
    if complaint is None or not timer.step or timer.kind not in ("breach", "goal"):
        return
    deadline = _deadline(s, timer.business_key, timer.step)
    if deadline is None:
        deadline = Deadline(business_key=timer.business_key, step=timer.step, due_at=timer.due_at)
        s.add(deadline)
    if timer.kind == "goal":
        deadline.goal_at = timer.due_at
        return
    if deadline.completed_at is not None:
        deadline.completed_at, deadline.on_time, deadline.breached_at, deadline.warned_at = None, None, None, None
    deadline.due_at = timer.due_at
    deadline.started_at = now if timer.step != "1.6" else complaint.registered_at
    s.flush()


def complete_step(s: Session, key: str, step: str | None, started_at: dt.datetime, calendar: WorkCalendar,
                  now: dt.datetime) -> None:
    if not step:
        return
    deadline = _deadline(s, key, step)
    if deadline is None:
        return
    deadline.completed_at = now
    deadline.on_time = now <= deadline.due_at
    spent = calendar.working_time_between(deadline.started_at or started_at, now)
    deadline.working_minutes = int(spent.total_seconds() // 60)


def _recipients(complaint: Complaint, kind: str, qms: str) -> list[str]:
    owner = f"user:{complaint.responsible_user.login}" if complaint.responsible_user else \
        f"responsible:{complaint.responsible_id}" if complaint.responsible_id else f"group:{qms}"
    if kind == "warning":
        return [owner]
    if kind == "goal":
        return [owner, f"group:{qms}"]
    department = complaint.department.code if complaint.department else qms
    return list(dict.fromkeys([owner, f"head:{department}", f"group:{qms}"]))


def _fire(s: Session, instance: ProcessInstance, timer: Timer, complaint: Complaint | None, qms: str,
          actor: Actor, now: dt.datetime) -> None:
    record(s, instance, actor, f"timer_{timer.kind or 'fired'}", now,
           {"timer": timer.bpmn_id, "step": timer.step, "due_at": timer.due_at.isoformat()})
    if complaint is None or timer.kind not in ("warning", "breach", "goal") or not timer.step:
        return
    deadline = _deadline(s, timer.business_key, timer.step)
    if deadline is not None:
        if timer.kind == "warning":
            deadline.warned_at = now
        elif timer.kind == "breach":
            deadline.breached_at = now
        else:
            deadline.goal_missed_at = now
    open_task = s.scalar(select(Task).where(Task.business_key == timer.business_key, Task.step == timer.step,
                                            Task.status == "open"))
    context = {"number": timer.business_key, "step": timer.step, "due_at": timer.due_at.isoformat(),
               "task": open_task.name if open_task else "—"}
    for recipient in _recipients(complaint, timer.kind, qms):
        notifications.enqueue(s, f"deadline_{timer.kind}", recipient, f"{timer.id}:{recipient}", context, now,
                              timer.business_key)


def set_task_due_dates(s: Session, instance: ProcessInstance) -> None:
    deadlines = {d.step: d.due_at for d in s.scalars(select(Deadline).where(
        Deadline.business_key == instance.business_key))}
    for task in s.scalars(select(Task).where(Task.instance_id == instance.id, Task.status == "open")):
        if task.step in deadlines and task.status == "open":
            task.due_at = deadlines[task.step]


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
    for timer in s.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.status == "failed")):
        timer.status = "pending"


def pending_dues(s: Session) -> list[dt.datetime]:
    return list(s.scalars(select(Timer.due_at).where(Timer.status == "pending").order_by(Timer.due_at)))


def deadline_timer_specs(deployed: Any) -> list[Any]:
    """Timer event specs that carry a `deadline` property, in every process of a definition."""
    found = []
    for process in [deployed.spec, *deployed.subprocess_specs.values()]:
        for spec in process.task_specs.values():
            event = getattr(spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition) and "deadline" in spec.extensions.get("properties", {}):
                found.append(spec)
    return found


def plan_deadlines(s: Session, complaint: Complaint, planned: dict[str, Any]) -> None:
    """Deadlines known at registration (anchored on it) exist before their steps open, so the card and
    the reports show them from the start. One executemany: nothing here needs the rows back as objects
    (the process start reads them by business key and step)."""
    goal_at = dt.datetime.fromisoformat(planned["goal_at"]) if planned["goal_at"] else None
    rows = [{"business_key": complaint.number, "step": step["code"],
             "due_at": dt.datetime.fromisoformat(step["due_at"]), "goal_at": goal_at if step["code"] == "1.6" else None}
            for step in planned["steps"]]
    if rows:
        s.execute(insert(Deadline.__table__), rows)  # the table, not the ORM bulk path (it splits by NULLs)


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
    for task in timer_tasks(workflow):
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


def _same_moment(stored: dt.datetime, due: dt.datetime) -> bool:
    # SQLite hands back naive UTC moments.
    return (stored if stored.tzinfo else stored.replace(tzinfo=dt.UTC)) == due
