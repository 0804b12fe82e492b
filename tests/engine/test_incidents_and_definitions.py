"""Deployment checks and incidents: a failing diagram never half-saves an instance."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Actor, Bundle, ProcessEngine
from engine.bpmn.persistence import state_to_dict
from engine.errors import InvalidDefinition, StepFailed
from models import Appeal, Incident, ProcessDefinition, ProcessInstance, Task, db
from tests.unchecked import deploy_unchecked

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="t">\n')


def diagram(body: str, key: str = "probe") -> Bundle:
    return Bundle({"probe.bpmn": f'{HEAD}<bpmn:process id="{key}" isExecutable="true">{body}'
                                 "</bpmn:process></bpmn:definitions>"})


def script_after_task(script: str) -> Bundle:
    return diagram(f"""
      <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
      <bpmn:userTask id="ask" name="Ask"/><bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="calc"/>
      <bpmn:scriptTask id="calc" name="Calc"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
      <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="next"/>
      <bpmn:userTask id="next" name="Next"/><bpmn:sequenceFlow id="f4" sourceRef="next" targetRef="end"/>
      <bpmn:endEvent id="end"/>""")


def test_deploy_stores_each_version_once_by_hash(engine: ProcessEngine) -> None:
    first = engine.deploy_processes(Actor("owner"))
    again = engine.deploy_processes(Actor("owner"))
    assert again.id == first.id and first.version == 1
    bundle = Bundle.from_directory(PROCESSES)
    changed = Bundle({**bundle.bpmn, "complaint.bpmn": bundle.bpmn["complaint.bpmn"].replace(
        'name="Претензия закрыта"', 'name="Претензия закрыта полностью"')}, bundle.forms)
    second = engine.deploy("complaint", changed, Actor("owner"))
    assert (second.version, second.deployed_by) == (2, "owner") and second.sha256 != first.sha256
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 2


def test_instances_keep_their_version_and_store_no_spec(engine: ProcessEngine, register) -> None:
    number = register()
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    state = state_to_dict(instance.state)
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(instance.state) < 10_000
    bundle = Bundle.from_directory(PROCESSES)
    engine.deploy("complaint", Bundle({**bundle.bpmn, "complaint.bpmn": bundle.bpmn["complaint.bpmn"].replace(
        "Отработка претензии", "Отработка претензии v2")}, bundle.forms), Actor("owner"))
    newer = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.business_key == register())).one()
    assert newer.definition.version == 2 and instance.definition.version == 1


@pytest.mark.parametrize(("bundle", "where", "says"), [
    (Bundle({"bad.bpmn": HEAD + "<bpmn:process id='probe'>"}), "bad.bpmn", "line"),
    (script_after_task("import os"), "calc", "not allowed"),
    (script_after_task("x = ().__class__.__base__.__subclasses__()"), "calc", "not allowed"),
    (diagram('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>'
             '<bpmn:exclusiveGateway id="g" default="d"/><bpmn:sequenceFlow id="c" sourceRef="g" targetRef="e">'
             '<bpmn:conditionExpression>x ==</bpmn:conditionExpression></bpmn:sequenceFlow>'
             '<bpmn:sequenceFlow id="d" sourceRef="g" targetRef="e"/><bpmn:endEvent id="e"/>'), "g", "expression"),
])
def test_deploy_refuses_what_cannot_run_and_names_where(engine: ProcessEngine, bundle: Bundle, where: str,
                                                        says: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        engine.deploy("probe", bundle, Actor("owner"))
    problem = caught.value.problems[0]
    assert where in (problem.get("element"), problem.get("file")) and says in json.dumps(problem)
    assert db.session.scalar(select(func.count()).where(ProcessDefinition.key == "probe")) == 0


def test_failing_script_leaves_instance_exactly_as_it_was_plus_incident(engine: ProcessEngine) -> None:
    deploy_unchecked(engine, "probe", script_after_task("y = 1 / 0"), "owner")
    engine.start("probe", "PROBE-1", {"x": 1}, Actor("api:site"))
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "PROBE-1")).one()
    state, revision = instance.state, instance.revision
    [task] = db.session.scalars(select(Task).where(Task.business_key == "PROBE-1"))
    with pytest.raises(StepFailed) as caught:
        engine.complete_task(task.id, {"answer": 42}, Actor("tester"))
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert (instance.state, instance.revision, instance.status) == (state, revision, "active")
    assert db.session.get(Task, task.id).status == "open"
    incident = db.session.get(Incident, caught.value.incident_id)
    assert incident.business_key == "PROBE-1" and incident.element_id == "calc"
    assert "ZeroDivisionError" in incident.message or "division by zero" in incident.message
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1


def test_failure_at_start_keeps_the_appeal_and_opens_an_incident(engine: ProcessEngine, register) -> None:
    bundle = Bundle.from_directory(PROCESSES)
    broken = bundle.bpmn["stage1_correction.bpmn"].replace('stage1_status = "open"', 'stage1_status = 1 / 0')
    engine.deploy("complaint", Bundle({**bundle.bpmn, "stage1_correction.bpmn": broken}, bundle.forms),
                  Actor("owner"))
    number = register()
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    assert instance.status == "incident"
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1
    incident = db.session.scalars(select(Incident).where(Incident.business_key == number)).one()
    assert incident.element_id == "s1_open"
    # The saved state is the workflow as it begins, with its variables: what a retry runs from.
    state = state_to_dict(instance.state)
    root = state["tasks"][state["root"]]
    assert root["data"]["complaint_number"] == number
    assert [t["state"] for t in state["tasks"].values() if t["task_spec"] == "Start"] == [16]  # READY, not run
    assert not state.get("subprocesses")  # nothing of stage 1 was entered


def test_scripts_cannot_reach_the_machine(engine: ProcessEngine) -> None:
    deploy_unchecked(engine, "probe", script_after_task("y = open('/etc/passwd').read()"), "owner")
    engine.start("probe", "PROBE-2", {}, Actor("api:site"))
    [task] = db.session.scalars(select(Task).where(Task.business_key == "PROBE-2"))
    with pytest.raises(StepFailed):
        engine.complete_task(task.id, {}, Actor("tester"))
    assert "open" in db.session.scalars(select(Incident.message)).one()
