"""An instance on its diagram: the state of each element (completed, active, overdue, failed) with who and when."""
from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.definitions import Deployed
from engine.history.vault import OpenedEvent, opened_events
from models import Incident, ProcessInstance, Task

RUNNING = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def _process_of(deployed: Deployed) -> dict[str, str]:
    """bpmn id → the id of the process that draws it (ids may repeat across processes; the first wins)."""
    owner: dict[str, str] = {}
    for process in [deployed.spec, *deployed.subprocess_specs.values()]:
        for spec in process.task_specs.values():
            if getattr(spec, "bpmn_id", None):
                owner.setdefault(spec.bpmn_id, process.name)
    return owner


def _all_tasks(workflow: BpmnWorkflow) -> list[Any]:
    tasks = list(workflow.get_tasks(skip_subprocesses=True))
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.get_tasks(skip_subprocesses=True))
    return tasks


def _spiff_states(workflow: BpmnWorkflow) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for task in _all_tasks(workflow):
        spec = task.task_spec
        if not getattr(spec, "bpmn_id", None):
            continue
        # An armed boundary timer waits on every running step; it is not work in progress.
        running = task.state & RUNNING and not (isinstance(spec, BoundaryEvent) and task.state == TaskState.WAITING)
        if not running and task.state != TaskState.COMPLETED:
            continue
        entry = found.setdefault((task.workflow.spec.name, spec.bpmn_id),
                                 {"id": spec.bpmn_id, "process": task.workflow.spec.name,
                                  "name": spec.bpmn_name, "type": type(spec).__name__, "state": "completed",
                                  "completed_at": None, "completed_by": None, "due_at": None, "data": None})
        if running:
            entry["state"] = "active"
        else:
            at = dt.datetime.fromtimestamp(task.last_state_change, dt.UTC)
            entry["completed_at"] = max(filter(None, (entry["completed_at"], at)))
    return found


def _by_element(rows: list[Any], key: str = "bpmn_id") -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def _add_people(entry: dict[str, Any], tasks: list[Task], events: list[OpenedEvent], now: dt.datetime) -> None:
    done = [t for t in tasks if t.status == "completed"]
    if done:
        last = max(done, key=lambda t: t.completed_at)
        entry.update(completed_at=last.completed_at, completed_by=last.completed_by, due_at=last.due_at)
    open_tasks = [t for t in tasks if t.status == "open"]
    if open_tasks:
        entry["due_at"] = min((t.due_at for t in open_tasks if t.due_at), default=None)
        if entry["state"] == "active" and entry["due_at"] and _aware(entry["due_at"]) < now:
            entry["state"] = "overdue"
    if events:
        entry["data"] = (max(events, key=lambda e: e.seq).data or {}).get("form")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def elements(s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, deployed: Deployed,
             now: dt.datetime) -> list[dict[str, Any]]:
    """Every element the instance reached, with its state; elements never reached are left out."""
    found = _spiff_states(workflow)
    tasks = _by_element(list(s.scalars(select(Task).where(Task.instance_id == instance.id))))
    events = _by_element(opened_events(s, [instance.id], kinds=("task_completed",)))
    for entry in found.values():
        _add_people(entry, tasks.get(entry["id"], []), events.get(entry["id"], []), now)
    owner = _process_of(deployed)
    for incident in s.scalars(select(Incident).where(Incident.instance_id == instance.id,
                                                     Incident.resolved_at.is_(None))):
        element = incident.element_id or ""
        key = next((k for k in found if k[1] == element), (owner.get(element, ""), element))
        if key[1]:
            entry = found.setdefault(key, {"id": element, "process": key[0], "name": None, "type": None,
                                           "completed_at": None,
                                           "completed_by": None, "due_at": None, "data": None})
            entry["state"], entry["error"] = "failed", incident.message
    return sorted(found.values(), key=lambda e: (e["process"], e["id"]))
