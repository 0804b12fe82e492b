"""An instance on its diagram: which elements are completed, active, overdue or failed, by whom and when."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from engine import Actor, Bundle, ProcessEngine
from engine.errors import Conflict, InstanceNotFound, InvalidInput, StepFailed
from models import Incident, ProcessInstance, Task, db
from tests.conftest import history_events
from tests.unchecked import deploy_unchecked

MSK = ZoneInfo("Europe/Moscow")
ACCEPT = {"belongs_to_department": True}
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="t">\n')
BROKEN = Bundle({"probe.bpmn": HEAD + """<bpmn:process id="probe" isExecutable="true">
  <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
  <bpmn:userTask id="ask" name="Ask"/><bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="calc"/>
  <bpmn:scriptTask id="calc" name="Calc"><bpmn:script>y = 1 / 0</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="end"/><bpmn:endEvent id="end"/>
  </bpmn:process></bpmn:definitions>"""})


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(dt.datetime(2025, 11, 24, 10, 0, tzinfo=MSK), tick=False) as traveller:
        yield traveller


def by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in view["elements"]}


def open_task(number: str) -> Task:
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def test_completed_and_active_elements_with_who_when_and_data(engine: ProcessEngine, register: Any,
                                                              clock: Any) -> None:
    number = register()
    accept = open_task(number)
    clock.move_to(dt.datetime(2025, 11, 24, 10, 20, tzinfo=MSK))
    engine.complete_task(accept.id, ACCEPT, Actor("Иванов И. И."))
    view = engine.instance_on_diagram(number)
    assert view["definition"] == {"key": "complaint", "version": 1} and view["status"] == "active"
    elements = by_id(view)
    done = elements["accept"]
    assert (done["state"], done["completed_by"], done["data"]) == ("completed", "Иванов И. И.", ACCEPT)
    assert done["completed_at"] == dt.datetime(2025, 11, 24, 7, 20, tzinfo=dt.UTC)
    assert done["process"] == "complaint_stage1" and done["due_at"] is not None
    contact = elements["first_contact"]
    assert contact["state"] == "active" and contact["due_at"] == open_task(number).due_at
    assert contact["completed_at"] is None
    assert elements["stage1"]["state"] == "active" and elements["registered"]["state"] == "completed"
    assert elements["s1_start"]["state"] == "completed"
    assert "verify" not in elements and "accept_warning" not in elements


def test_an_active_step_past_its_deadline_is_overdue(engine: ProcessEngine, register: Any, clock: Any) -> None:
    number = register()
    due = open_task(number).due_at
    assert by_id(engine.instance_on_diagram(number))["accept"]["state"] == "active"
    clock.move_to(due + dt.timedelta(minutes=1))
    assert by_id(engine.instance_on_diagram(number))["accept"]["state"] == "overdue"


def test_the_element_of_an_open_incident_is_failed(engine: ProcessEngine, clock: Any) -> None:
    deploy_unchecked(engine, "probe", BROKEN, "owner")
    engine.start("probe", "PROBE-D", {}, Actor("test"))
    with pytest.raises(StepFailed):
        engine.complete_task(open_task("PROBE-D").id, {}, Actor("tester"))
    elements = by_id(engine.instance_on_diagram("PROBE-D"))
    assert elements["calc"]["state"] == "failed" and "division" in elements["calc"]["error"]
    assert elements["ask"]["state"] == "active" and elements["start"]["state"] == "completed"
    with pytest.raises(InstanceNotFound):
        engine.instance_on_diagram("NOPE-1")


def test_resolving_an_incident_needs_a_comment_and_is_recorded(engine: ProcessEngine, clock: Any) -> None:
    deploy_unchecked(engine, "probe", BROKEN, "owner")
    engine.start("probe", "PROBE-R", {}, Actor("test"))
    with pytest.raises(StepFailed) as failed:
        engine.complete_task(open_task("PROBE-R").id, {}, Actor("tester"))
    with pytest.raises(InvalidInput) as refused:
        engine.resolve_incident(failed.value.incident_id, "  ", Actor("qms"))
    assert "comment" in refused.value.fields
    incident = engine.resolve_incident(failed.value.incident_id, "Исправлено в версии 2", Actor("СМК"))
    assert (incident.resolved_by, incident.resolution) == ("СМК", "Исправлено в версии 2")
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "PROBE-R")).one()
    [event] = history_events("incident_resolved", instance_id=instance.id)
    assert event.actor == "СМК" and event.data == {"incident": incident.id, "element": "calc",
                                                  "comment": "Исправлено в версии 2"}
    assert "calc" not in by_id(engine.instance_on_diagram("PROBE-R"))
    with pytest.raises(Conflict):
        engine.resolve_incident(incident.id, "ещё раз", Actor("СМК"))
    assert db.session.get(Incident, incident.id).resolution == "Исправлено в версии 2"
