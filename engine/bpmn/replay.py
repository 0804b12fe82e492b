"""Replay check: closed instances' recorded task data run through another version in memory, nothing written."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import forms, step_rules, walk
from engine.bpmn.running import StepError, run_step
from engine.errors import InvalidInput
from engine.history import vault
from engine.history.vault import OpenedEvent
from engine.people import access
from engine.time import deadlines
from models import ProcessDefinition, ProcessInstance

DEFAULT_LIMIT = 50
SAME, DIFFERENT, FAILED = "same", "different", "failed"
END = "end"  # in a path: the process ended here


@dataclass(frozen=True)
class Step:
    """One completed human task as the history recorded it."""

    bpmn_id: str
    step: str | None
    data: dict[str, Any]
    at: dt.datetime


@dataclass(frozen=True)
class Recorded:
    """A closed instance: how it started and the human tasks completed, in order."""

    business_key: str
    version: int
    variables: dict[str, Any]
    steps: list[Step] = field(default_factory=list)


def history_data(event: OpenedEvent) -> dict[str, Any]:
    """The recorded data of a history event opened with its case key; an erased case replays with none."""
    return dict(event.data or {})


def aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def recorded_runs(s: Session, key: str, limit: int = DEFAULT_LIMIT) -> list[Recorded]:
    """The last `limit` closed (completed) instances of a process, newest first, with their history."""
    rows = list(s.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessDefinition.key == key, ProcessInstance.status == "completed")
        .order_by(ProcessInstance.ended_at.desc(), ProcessInstance.id.desc()).limit(limit)))
    events: dict[int, list[OpenedEvent]] = {}
    for event in vault.opened_events(s, [r.id for r in rows], ("started", "task_completed")):
        events.setdefault(event.instance_id, []).append(event)
    runs = []
    for instance_id, business_key, version in rows:
        found = events.get(instance_id, [])
        started = next((history_data(e) for e in found if e.kind == "started"), {})
        steps = [Step(e.bpmn_id or "", e.step, dict(history_data(e).get("form") or {}), aware(e.at))
                 for e in found if e.kind == "task_completed"]
        runs.append(Recorded(business_key, version, dict(started.get("variables") or {}), steps))
    return runs


def _ready(workflow: BpmnWorkflow) -> list[Any]:
    return sorted(walk.ready_human_tasks(workflow), key=lambda t: t.task_spec.bpmn_id)


def _outcome(run: Recorded, outcome: str, path: list[str], **extra: Any) -> dict[str, Any]:
    return {"business_key": run.business_key, "version": run.version, "outcome": outcome, "path": path,
            "after": path[-1] if path else None, "expected": None, "reached": [], "element": None,
            "error": None, **extra}


class Replayer:
    """Runs recorded instances through one version's spec; reads the database only to check form references."""

    def __init__(self, s: Session, spec: Any, subprocess_specs: dict[str, Any], forms_of: dict[str, Any],
                 script_engine: Any, tz: ZoneInfo) -> None:
        self.s, self.spec, self.subprocess_specs = s, spec, subprocess_specs
        self.forms, self.script_engine, self.tz = forms_of, script_engine, tz

    def _form_problems(self, task: Any, recorded: Step) -> str | None:
        """Why this version's form refuses the recorded data, as on the day it was entered; None if it accepts."""
        name = task.task_spec.extensions.get("properties", {}).get("form")
        schema = self.forms.get(name) if name else None
        before = dict(task.data)
        try:
            forms.validate(schema or {"type": "object"}, recorded.data,
                           lambda src, v: access.known(self.s, src, v), recorded.at.astimezone(self.tz).date(), before)
            step_rules.check(recorded.bpmn_id, recorded.data, before)
        except InvalidInput as err:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(err.fields.items()))
            return f"form {name or '—'} refuses the data: {fields or err.message}"
        return None

    def replay(self, run: Recorded) -> dict[str, Any]:
        """Same path, a different path (after which element, expected and reached), or a failure (element, error)."""
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(run.variables)
        path: list[str] = []
        with deadlines.department_calendar(run.variables.get("department")):
            try:
                run_step(workflow, lambda: None)
                for recorded in run.steps:
                    ready = _ready(workflow)
                    task = next((t for t in ready if t.task_spec.bpmn_id == recorded.bpmn_id), None)
                    if task is None:
                        return _outcome(run, DIFFERENT, path, expected=recorded.bpmn_id,
                                        reached=[t.task_spec.bpmn_id for t in ready] or [END])
                    if problem := self._form_problems(task, recorded):
                        return _outcome(run, FAILED, path, element=recorded.bpmn_id, error=problem)
                    run_step(workflow, _completion(task, recorded))
                    path.append(recorded.bpmn_id)
            except StepError as err:
                return _outcome(run, FAILED, path, element=err.element_id, error=err.message)
        ready = _ready(workflow)
        if ready or not workflow.is_completed():
            return _outcome(run, DIFFERENT, path, expected=END, reached=[t.task_spec.bpmn_id for t in ready])
        return _outcome(run, SAME, [*path, END])


def _completion(task: Any, recorded: Step) -> Callable[[], None]:
    """Complete a task as the desk does: the form data plus the moment each step was completed."""
    def complete() -> None:
        stamps = dict(task.data.get("step_completed_at") or {})
        if recorded.step:
            stamps[recorded.step] = recorded.at.isoformat()
        task.set_data(**recorded.data, step_completed_at=stamps)
        task.run()
    return complete


def summary(results: list[dict[str, Any]]) -> dict[str, int]:
    counts = {SAME: 0, DIFFERENT: 0, FAILED: 0}
    for r in results:
        counts[r["outcome"]] += 1
    return {**counts, "total": len(results)}
