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


LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init" />
    <bpmn:scriptTask id="init"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>i = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="step" />
    <bpmn:scriptTask id="step"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>back</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>i = i + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="step" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="out"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>back</bpmn:outgoing>
      <bpmn:outgoing>out</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="back" sourceRef="gw" targetRef="step">
      <bpmn:conditionExpression>i &lt; LOOPS</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="out" sourceRef="gw" targetRef="review" />
    <bpmn:userTask id="review"><bpmn:incoming>out</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("loops", [490, 499, 520])
def test_a_tree_as_deep_as_spiffworkflows_limit_gets_its_own_answer(tmp_path: Any, loops: int) -> None:
    """SpiffWorkflow's iterator goes no deeper than 1,000 tasks: at that depth the walk gives its answer."""
    path = tmp_path / "loop.bpmn"
    path.write_text(LOOP.replace("LOOPS", str(loops)))
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    workflow = BpmnWorkflow(parser.get_spec("loop"), {})
    workflow.do_engine_steps()
    assert [t.id for t in walk.ready_human_tasks(workflow)] == [t.id for t in _theirs_ready(workflow)]
    assert [t.id for t in walk.timer_tasks(workflow)] == [t.id for t in _theirs_timers(workflow)]
    assert len(workflow.tasks) > 950  # the tree reaches (or nearly reaches) the limit
