"""Moving armed deadlines when the calendar changes: each waiting timer is evaluated again from its anchors.

SpiffWorkflow evaluates a `timeDate` once, when the timer is armed, and keeps the result in the task's
`event_value`; a new day off would otherwise never reach a timer already waiting. Here the expression is
evaluated again against the timer task's own data (received_at, step_completed_at, implemented_at…), so the
new due time follows the same rule as the first one, and the serialized workflow, the `timer`, `deadline`
and `task` rows and the history all move together.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import walk
from engine.bpmn.projection import record
from engine.people.actor import Actor
from engine.time.deadlines import iso
from engine.time.timers import set_task_due_dates
from models import Complaint, Deadline, ProcessInstance, Timer


@dataclass(frozen=True)
class Move:
    timer_id: str
    kind: str | None  # warning, breach, goal
    step: str | None
    before: dt.datetime
    after: dt.datetime


def recompute(workflow: BpmnWorkflow, fired: Collection[str] = ()) -> list[Move]:
    """Evaluate every waiting timer's expression again; store the new due time where it changed. Timers in
    `fired` (ids whose rows fired: notice timers, which SpiffWorkflow holds waiting until the instance is next
    loaded) have happened and do not move."""
    moves = []
    for task in walk.timer_tasks(workflow):
        old = task._get_internal_data("event_value")
        if task.state != TaskState.WAITING or not isinstance(old, str) or str(task.id) in fired:
            continue
        new = workflow.script_engine.evaluate(task, task.task_spec.event_definition.expression)
        before, after = TimerEventDefinition.get_datetime(old), TimerEventDefinition.get_datetime(new)
        if before != after:
            task._set_internal_data(event_value=new)
            props = task.task_spec.extensions.get("properties", {})
            moves.append(Move(str(task.id), props.get("deadline"), props.get("step"), before, after))
    return moves


def project(s: Session, instance: ProcessInstance, moves: list[Move], actor: Actor, now: dt.datetime,
            reason: dict[str, Any]) -> list[dt.datetime]:
    """Move the timer, deadline and task rows and record each moved deadline; returns the new due times."""
    for move in moves:
        timer = s.get(Timer, move.timer_id)
        if timer is not None and timer.status == "pending":
            timer.due_at = move.after
        deadline = s.scalar(select(Deadline).where(Deadline.business_key == instance.business_key,
                                                   Deadline.step == move.step)) if move.step else None
        if deadline is not None and move.kind == "breach" and deadline.completed_at is None:
            deadline.due_at = move.after
        elif deadline is not None and move.kind == "goal":
            deadline.goal_at = move.after
        if move.kind in ("breach", "goal"):
            record(s, instance, actor, "deadline_moved", now, {
                "step": move.step, "deadline": move.kind, "from": iso(move.before), "to": iso(move.after),
                **reason})
    set_task_due_dates(s, instance)
    return [m.after for m in moves]


def replan(s: Session, complaint: Complaint, instance: ProcessInstance, planned: dict[str, Any], actor: Actor,
           now: dt.datetime, reason: dict[str, Any]) -> None:
    """Steps not opened yet have planned deadlines (no timer armed): move them to the new plan too. A step's
    deadline has its start from the moment its breach timer was armed (`timers._arm_deadline`)."""
    for step in planned["steps"]:
        deadline = s.scalar(select(Deadline).where(Deadline.business_key == complaint.number,
                                                   Deadline.step == step["code"]))
        due = dt.datetime.fromisoformat(step["due_at"])
        if deadline is None or deadline.started_at is not None or deadline.completed_at is not None \
                or deadline.due_at == due:
            continue
        record(s, instance, actor, "deadline_moved", now, {
            "step": step["code"], "deadline": "breach", "from": iso(deadline.due_at), "to": iso(due), **reason})
        deadline.due_at = due
