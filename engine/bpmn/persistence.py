"""Instance state to bytes and back, without the spec: the spec is stored once per definition version."""
from __future__ import annotations

import json
import zlib
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import compact_state


class _SpecByReferenceConverter(BpmnWorkflowConverter):
    """Leaves the spec out when saving and takes the cached spec objects when loading."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _KeptTaskConverter(TaskConverter):
    """Converts a task again only when it changed. Every save used to convert every task of the workflow,
    though most do not change between two saves: a finished task never does (its data, its place and its
    children stay as they were when it finished), and a predicted one holds no data of its own (its
    dictionary lists its parent's variables as deletions). A finished task under a parent still running is
    not kept: a loop or multi-instance task merges each finished child into its own data, in place. A task's
    dictionary is kept on it with the marks it was made from, and given back while the marks are the same;
    the marks cover everything the dictionary is made of (for a task still running, its data could change in
    place: it is always converted). `tests/engine/test_state_dump.py` compares every save of whole lifecycles,
    and of a multi-instance task, with a full conversion."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        marks = self._marks(task)
        if marks is None:
            return super().to_dict(task)  # type: ignore[no-any-return]
        kept = task.__dict__.get("_saved_dict")
        if kept is not None and kept[0] == marks:
            return kept[1]  # type: ignore[no-any-return]
        dct = super().to_dict(task)
        task.__dict__["_saved_dict"] = (marks, dct)
        return dct  # type: ignore[no-any-return]

    @staticmethod
    def _marks(task: Task) -> tuple[Any, ...] | None:
        parent = task.parent
        base = (task.state, task.last_state_change, task.triggered, tuple(task._children), task._parent,
                id(task.internal_data), len(task.internal_data))
        if task.state & TaskState.FINISHED_MASK:
            if parent is not None and not parent.state & TaskState.FINISHED_MASK:
                return None  # a running parent (a loop, a multi-instance) changes its data in place
            return (*base, id(task.data), len(task.data),
                    None if parent is None else (id(parent.data), len(parent.data)))
        if parent is not None and not task.data and not task.internal_data:
            return (*base, tuple(parent.data))  # its delta: no updates, the parent's variables deleted
        return None


def _kept_tasks_to_dict(converter: Any, workflow: Any) -> dict[str, Any]:
    """`WorkflowConverter.to_dict` with the tasks' mapping made directly: a task whose kept dictionary still
    holds is taken as it is, without the registry's round of cleaning, dispatching and re-tagging it; any
    other task goes through the registry (and so through `_KeptTaskConverter`)."""
    registry = converter.registry
    tasks = {}
    for task in workflow.tasks.values():
        kept = task.__dict__.get("_saved_dict")
        dct = kept[1] if kept is not None and kept[0] == _KeptTaskConverter._marks(task) else registry.convert(task)
        tasks[dct["id"]] = dct
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": tasks,
        "root": str(workflow.task_tree.id),
    }


class _KeptWorkflowConverter(_SpecByReferenceConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = _kept_tasks_to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


class _KeptSubWorkflowConverter(BpmnSubWorkflowConverter):
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = _kept_tasks_to_dict(self, workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct


def _spec_serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def _instance_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _KeptWorkflowConverter
    config[BpmnSubWorkflow] = _KeptSubWorkflowConverter
    config[Task] = _KeptTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SPECS = _spec_serializer()
_INSTANCES = _instance_serializer()


def spec_to_json(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    """Canonical JSON of a process spec and its called processes: the input of the version hash."""
    dct = {
        "spec": _SPECS.to_dict(spec),
        "subprocess_specs": {name: _SPECS.to_dict(s) for name, s in sorted(subprocess_specs.items())},
    }
    return json.dumps(dct, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def spec_from_json(text: str) -> tuple[Any, dict[str, Any]]:
    dct = json.loads(text)
    subs = {name: _SPECS.from_dict(s) for name, s in dct["subprocess_specs"].items()}
    return _SPECS.from_dict(dct["spec"]), subs


def state_to_dict(state: bytes) -> dict[str, Any]:
    """The serialized workflow a stored state holds, in either form: compact (engine/bpmn/compact_state.py),
    or plain zlib JSON (every state saved before the compact form, and any the compact form cannot hold)."""
    if state[:1] in compact_state.MARKS:
        return compact_state.decode(state)
    return json.loads(zlib.decompress(state))  # type: ignore[no-any-return]


def state_from_dict(dct: dict[str, Any], memo: compact_state.Memo | None = None) -> bytes:
    try:
        return compact_state.encode(dct, memo)
    except compact_state.NotCompact:
        return zlib.compress(json.dumps(dct, separators=(",", ":")).encode(), 6)


def dump_workflow(workflow: BpmnWorkflow) -> bytes:
    """The bytes of the workflow's state. What a save works out for each finished task is kept with the
    workflow (its dictionary on the task, its compact row in a memo) for the next save of the same object."""
    dct = _INSTANCES.to_dict(workflow)
    dct[_INSTANCES.VERSION_KEY] = _INSTANCES.VERSION
    return state_from_dict(dct, workflow.__dict__.setdefault("_compact_memo", {}))


def load_workflow(state: bytes, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    dct = state_to_dict(state)
    if dct.pop(_INSTANCES.VERSION_KEY, None) != _INSTANCES.VERSION:
        raise ValueError("instance was saved by another serializer version; migrate it on a copy first")
    return _INSTANCES.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)


def spec_registry() -> Any:
    """The converters of task specs: comparing two specs (migration) compares what they serialize to."""
    return _SPECS.registry
def scrub_task_data(state: bytes, keep: frozenset[str], placeholder: str) -> bytes:
    """The saved state with every text value of the workflow's and its tasks' data replaced by `placeholder`,
    except the variables named in `keep` (codes the process and the reports rely on). Typed values the
    serializer wrote (dates: `{"typename": …}`) and numbers and booleans stay, so the state still loads."""
    dct = state_to_dict(state)
    _scrub_data_of(dct, keep, placeholder)
    return state_from_dict(dct)


# Where the serializer keeps variables: a task's and a workflow's data, and a task's record of what it changed.
_DATA_KEYS = frozenset({"data", "internal_data", "updates"})


def _scrub_data_of(node: Any, keep: frozenset[str], placeholder: str) -> None:
    """Walk the serialized workflow (tasks, subprocesses) and scrub each data mapping found on the way."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _DATA_KEYS and isinstance(value, dict):
                node[key] = {k: v if k in keep else _scrubbed(v, placeholder) for k, v in value.items()}
            else:
                _scrub_data_of(value, keep, placeholder)
    elif isinstance(node, list):
        for item in node:
            _scrub_data_of(item, keep, placeholder)


def _scrubbed(value: Any, placeholder: str) -> Any:
    if isinstance(value, str):
        return placeholder
    if isinstance(value, dict):
        if "typename" in value:
            return value
        return {k: _scrubbed(v, placeholder) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, placeholder) for v in value]
    return value
