"""A save converts only the tasks that changed since the last save of the same workflow object (a finished or
predicted task keeps its dictionary, the compact form keeps its row's fields): every state saved that way must
be exactly the state a full conversion of the same workflow gives."""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.bpmn import compact_state
from engine.bpmn import persistence as instance_state
from models import ProcessInstance, Task, db
from tests.engine.test_state_format import BOTH_STAGES


def _full_conversion() -> BpmnWorkflowSerializer:
    """The instance serializer with SpiffWorkflow's own task converter: every task converted every time."""
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = instance_state._SpecByReferenceConverter
    config[SpiffTask] = TaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def _full_dump(workflow: BpmnWorkflow) -> bytes:
    serializer = _full_conversion()
    dct = serializer.to_dict(workflow)
    dct[serializer.VERSION_KEY] = serializer.VERSION
    return compact_state.encode(dct)


def test_every_save_of_both_stages_equals_a_full_conversion(engine: ProcessEngine, register,
                                                           monkeypatch: Any) -> None:
    compared: list[tuple[bytes, int, int]] = []
    dump = instance_state.dump_workflow

    def checked(workflow: BpmnWorkflow) -> bytes:
        state = dump(workflow)
        full = _full_dump(workflow)
        assert state == full
        kept = sum("_saved_dict" in t.__dict__ for t in workflow.get_tasks())
        compared.append((state, len(workflow.get_tasks()), kept))
        return state

    monkeypatch.setattr("engine.bpmn.runtime.dump_workflow", checked)
    number = register()
    for bpmn_id, data in BOTH_STAGES:
        [task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
        assert task.bpmn_id == bpmn_id
        engine.complete_task(task.id, data, Actor("tester"))
        db.session.expire_all()
    state = db.session.scalars(select(ProcessInstance.state).where(ProcessInstance.business_key == number)).one()
    assert state == compared[-1][0]
    assert len(compared) >= len(BOTH_STAGES) + 1  # the start, then every completion
    # The saves after the first really took kept dictionaries (the warm cache hands the same workflow on).
    assert all(kept > 0 for _state, _tasks, kept in compared[2:])
    assert sum(kept for *_, kept in compared) > sum(tasks for _, tasks, _ in compared) / 2


MULTI_INSTANCE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="mi" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="Review">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>3</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_finished_instances_of_a_multi_instance_task_are_saved_as_they_finished(tmp_path: Any) -> None:
    """A multi-instance task keeps running while it merges each finished instance's data into its own, in
    place: the finished instances under it must be converted again, not kept."""
    path = tmp_path / "mi.bpmn"
    path.write_text(MULTI_INSTANCE)
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    spec = parser.get_spec("mi")
    workflow = BpmnWorkflow(spec, {})
    workflow.do_engine_steps()
    for i in range(3):
        [ready] = workflow.get_tasks(state=TaskState.READY, manual=True)
        ready.set_data(reviewer=f"person {i}")
        ready.run()
        workflow.do_engine_steps()
        state = instance_state.dump_workflow(workflow)
        assert state == _full_dump(workflow)
        loaded = instance_state.load_workflow(state, spec, {})
        done = [t.data.get("reviewer") for t in loaded.get_tasks()
                if t.task_spec.name == "review [child]" and t.state == TaskState.COMPLETED]
        assert done == [f"person {n}" for n in range(i + 1)]  # each instance with the data it finished with
