"""Moving a running instance to another version of its process: what stands in the way, and the move itself."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import forms
from engine.bpmn.definitions import Deployed
from engine.bpmn.persistence import spec_registry
from engine.errors import InvalidInput

# A task in these states has run or is running: its element must stay as it is in the target version.
HELD = TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.ERROR
# Attributes that change when the flows around an element change or its label is edited; what the
# element does stays the same, so they do not keep an instance from moving.
HARMLESS = frozenset({"inputs", "outputs", "bpmn_name", "documentation"})
# Recorded form data of a completed task, looked up by task id: (data, the moment it was entered).
Recorded = Callable[[str], tuple[dict[str, Any], dt.datetime] | None]
Known = Callable[[str, str], bool]


def _diffs(workflow: BpmnWorkflow, target: Deployed) -> list[tuple[Any, Any, Any]]:
    """(workflow or subworkflow, its diff or None when its process is gone, its new spec or None)."""
    top, subs = diff_workflow(spec_registry(), workflow, target.spec, target.subprocess_specs)
    found = [(workflow, top, target.spec)]
    for sp_id, sub in workflow.subprocesses.items():
        found.append((sub, subs.get(sp_id), target.subprocess_specs.get(sub.spec.name)))
    return found


def _label(task: Any) -> str:
    return getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name


def _visible(task: Any) -> bool:
    """A task of a drawn element (the engine's own start/end helpers have no bpmn id)."""
    return bool(getattr(task.task_spec, "bpmn_id", None))


def _held(task: Any) -> bool:
    # A waiting boundary timer is re-armed from its expression by the move; only work done or open counts.
    if isinstance(task.task_spec, BoundaryEvent) and task.state == TaskState.WAITING:
        return False
    return bool(task.state & (HELD | TaskState.WAITING))


def _state(task: Any) -> str:
    return "completed" if task.state == TaskState.COMPLETED else "active"


def _form_problem(task: Any, new_spec: Any, target: Deployed, recorded: Recorded, known: Known,
                  tz: dt.tzinfo) -> str | None:
    name = new_spec.extensions.get("properties", {}).get("form")
    found = recorded(str(task.id))
    if not name or found is None:
        return None
    data, at = found
    try:
        forms.validate(target.forms.get(name) or {"type": "object"}, data, known, at.astimezone(tz).date(),
                       dict(task.data))
    except InvalidInput as err:
        fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(err.fields.items()))
        return f"form {name} no longer accepts the data of {_label(task)}: {fields or err.message}"
    return None


def obstacles(workflow: BpmnWorkflow, target: Deployed, recorded: Recorded, known: Known,
              tz: dt.tzinfo) -> list[dict[str, str]]:
    """Why the instance cannot move to `target`: each as {"element", "reason"}; empty when it can."""
    found: list[dict[str, str]] = []
    for sub, diff, new_process in _diffs(workflow, target):
        tasks = [t for t in sub.get_tasks(skip_subprocesses=True) if _visible(t) and _held(t)]
        if diff is None or new_process is None:
            found.extend({"element": _label(t), "reason": f"its process {sub.spec.name} is missing in the target"}
                         for t in tasks[:1])
            continue
        changed = {id(t) for t in diff.changed}
        for task in tasks:
            new_spec = diff.alignment.get(task)
            if new_spec is None:
                found.append({"element": _label(task), "reason": f"the {_state(task)} task is missing in the target"})
                continue
            if id(task) in changed:
                what = sorted(set(_changes(task.task_spec, new_spec)) - HARMLESS)
                if what:
                    found.append({"element": _label(task),
                                  "reason": f"the {_state(task)} task is changed in the target: {', '.join(what)}"})
                    continue
            done = isinstance(task.task_spec, UserTask) and task.state == TaskState.COMPLETED
            if done and (problem := _form_problem(task, new_spec, target, recorded, known, tz)):
                found.append({"element": _label(task), "reason": problem})
    return found


def _changes(old: Any, new: Any) -> list[str]:
    registry = spec_registry()
    before, after = registry.convert(old), registry.convert(new)
    if before.get("typename") != after.get("typename"):
        return ["typename"]
    return [key for key, value in before.items() if after.get(key) != value]


def move(workflow: BpmnWorkflow, target: Deployed) -> BpmnWorkflow:
    """The instance on the target's specs. Open and waiting branches are reset, so waiting timers are armed
    again from their expressions (anchored on stored moments). An instance that never ran (it failed at
    its start) is begun afresh on the target with the same start data."""
    if workflow.task_tree.state == TaskState.READY:
        fresh = BpmnWorkflow(target.spec, target.subprocess_specs, script_engine=workflow.script_engine)
        fresh.task_tree.data.update(workflow.task_tree.data)
        return fresh
    for sub, diff, new_process in _diffs(workflow, target):
        if diff is not None and new_process is not None:
            migrate_workflow(diff, sub, new_process)
    workflow.subprocess_specs = target.subprocess_specs
    return workflow
