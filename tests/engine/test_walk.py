"""The engine's own walk of the task tree (engine/bpmn/walk.py) gives the same tasks in the same order as
SpiffWorkflow's `get_tasks`, at every save of every path the process takes, and under a multi-instance task."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import walk
from tests.engine import test_paths
from tests.engine.test_paths import Walker, walker  # noqa: F401 (the fixture the paths run with)
from tests.engine.test_state_dump import MULTI_INSTANCE


def _theirs_ready(workflow: BpmnWorkflow) -> list[Any]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def _theirs_timers(workflow: BpmnWorkflow) -> list[Any]:
    return [t for t in workflow.get_tasks(spec_class=CatchingEvent)
            if isinstance(t.task_spec.event_definition, TimerEventDefinition)]


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every call of the walk during the test is checked against SpiffWorkflow's answer, and counted."""
    seen: Counter[str] = Counter()
    for name, theirs in (("ready_human_tasks", _theirs_ready), ("timer_tasks", _theirs_timers)):
        mine = getattr(walk, name)

        def checked(workflow: BpmnWorkflow, mine: Any = mine, theirs: Any = theirs, name: str = name) -> list[Any]:
            answer = mine(workflow)
            assert [t.id for t in answer] == [t.id for t in theirs(workflow)]
            seen[name] += 1
            seen[f"{name} found"] += bool(answer)
            return answer

        monkeypatch.setattr(walk, name, checked)
    return seen


PATHS = sorted(name for name in dir(test_paths) if name.startswith("test_"))


@pytest.mark.parametrize("path", PATHS)
def test_the_walk_answers_as_get_tasks_on_every_path(path: str, compared: Counter[str],
                                                     walker: Walker) -> None:  # noqa: F811
    getattr(test_paths, path)(walker)
    # The start's save and at least one completion's (the fixture registers once `compared` is in place).
    assert compared["ready_human_tasks"] >= 2 and compared["timer_tasks"] >= 2
    assert compared["ready_human_tasks found"] >= 2 and compared["timer_tasks found"] >= 2


def test_the_walk_answers_as_get_tasks_under_a_multi_instance_task(tmp_path: Any) -> None:
    path = tmp_path / "mi.bpmn"
    path.write_text(MULTI_INSTANCE)
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    workflow = BpmnWorkflow(parser.get_spec("mi"), {})
    workflow.do_engine_steps()
    for i in range(3):
        ready = walk.ready_human_tasks(workflow)
        assert [t.id for t in ready] == [t.id for t in _theirs_ready(workflow)] and len(ready) == 1
        ready[0].set_data(reviewer=f"person {i}")
        ready[0].run()
        workflow.do_engine_steps()
    assert walk.ready_human_tasks(workflow) == [] and workflow.is_completed()
