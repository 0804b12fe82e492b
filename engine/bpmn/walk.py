"""The tasks of a workflow in the order SpiffWorkflow's own iterator gives them, walked without it.

Every save asks for the ready human tasks and for the timer events (`engine.bpmn.projection`,
`engine.time.timers`). SpiffWorkflow's `get_tasks` walks the task tree through a general iterator that
re-reads parents to keep its depth and re-checks every filter on every task: for the 60-90 tasks of a
complaint that is most of what the two questions cost. This is the same depth-first walk, with the same
rules for where it goes down (a task's children only from a task at least `min_state`; a subprocess's
tasks before the children of the task that runs it), kept to what these callers ask.
`tests/engine/test_walk.py` compares both answers with `get_tasks` at every save of whole lifecycles.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

# SpiffWorkflow's iterator goes no deeper than this (its default `max_depth`); its count of the depth never
# runs ahead of a task's depth in the tree, so a tree less deep than this is walked whole by both.
MAX_DEPTH = 1000


class _TooDeep(Exception):
    """A tree as deep as SpiffWorkflow's limit: its own iterator answers (where it stops is its own)."""


def _in_order(workflow: Any, min_state: int, filter_state: int) -> Iterator[Any]:
    subprocesses = workflow.subprocesses
    stack = [(workflow.task_tree, 0)]
    while stack:
        task, depth = stack.pop()
        yield task
        subprocess = subprocesses.get(task.id)
        if (task._children or subprocess is not None) and (task.state >= min_state or subprocess is not None):
            if depth + 1 >= MAX_DEPTH:
                raise _TooDeep
            below = []
            # As SpiffWorkflow words it (a single state is never >= the mask: it always goes down).
            if subprocess is not None and not (task.state >= TaskState.FINISHED_MASK
                                               and filter_state <= TaskState.FINISHED_MASK):
                below.append(subprocess.task_tree)
            tasks = task.workflow.tasks
            below.extend(tasks.get(child) for child in task._children)
            stack.extend((child, depth + 1) for child in reversed(below))


def ready_human_tasks(workflow: Any) -> list[Any]:
    """`workflow.get_tasks(state=TaskState.READY, manual=True)`."""
    try:
        return [t for t in _in_order(workflow, TaskState.FUTURE, TaskState.READY)
                if t.state == TaskState.READY and t.task_spec.manual]
    except _TooDeep:
        return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def _is_timer(task: Any) -> bool:
    return isinstance(task.task_spec, CatchingEvent) and isinstance(task.task_spec.event_definition,
                                                                    TimerEventDefinition)


def timer_tasks(workflow: Any) -> list[Any]:
    """The tasks of timer events, in any state: `workflow.get_tasks(spec_class=CatchingEvent)` with a timer."""
    try:
        return [t for t in _in_order(workflow, TaskState.MAYBE, TaskState.ANY_MASK) if _is_timer(t)]
    except _TooDeep:
        return [t for t in workflow.get_tasks(spec_class=CatchingEvent) if _is_timer(t)]
