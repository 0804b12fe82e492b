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


def _in_order(workflow: Any, min_state: int, filter_state: int) -> Iterator[Any]:
    subprocesses = workflow.subprocesses
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        yield task
        subprocess = subprocesses.get(task.id)
        if (task._children or subprocess is not None) and (task.state >= min_state or subprocess is not None):
            below = []
            # As SpiffWorkflow words it (a single state is never >= the mask: it always goes down).
            if subprocess is not None and not (task.state >= TaskState.FINISHED_MASK
                                               and filter_state <= TaskState.FINISHED_MASK):
                below.append(subprocess.task_tree)
            tasks = task.workflow.tasks
            below.extend(tasks.get(child) for child in task._children)
            stack.extend(reversed(below))


def ready_human_tasks(workflow: Any) -> list[Any]:
    """`workflow.get_tasks(state=TaskState.READY, manual=True)`."""
    return [t for t in _in_order(workflow, TaskState.FUTURE, TaskState.READY)
            if t.state == TaskState.READY and t.task_spec.manual]


def timer_tasks(workflow: Any) -> list[Any]:
    """The tasks of timer events, in any state: `workflow.get_tasks(spec_class=CatchingEvent)` with a timer."""
    return [t for t in _in_order(workflow, TaskState.MAYBE, TaskState.ANY_MASK)
            if isinstance(t.task_spec, CatchingEvent) and isinstance(t.task_spec.event_definition,
                                                                     TimerEventDefinition)]
