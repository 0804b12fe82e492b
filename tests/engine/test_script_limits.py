"""Bounded scripts: a diagram script, condition or timer expression that runs too long or builds too much
is stopped, opens an incident with nothing saved, and the next complaint runs as usual."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from engine import Actor, ProcessEngine
from engine.bpmn import bounds
from engine.bpmn.bounds import ScriptLimitExceeded, ScriptLimits
from engine.bpmn.scripting import make_script_engine
from engine.errors import InvalidDefinition, StepFailed
from engine.time import calendar as work_calendar
from engine.time import deadlines
from engine.time.calendar import WorkCalendar
from models import Incident, ProcessInstance, Task, db
from tests.engine.test_incidents_and_definitions import diagram, script_after_task
from tests.unchecked import deploy_unchecked

RUNAWAYS = {
    "endless loop": "while True: pass",
    "endless loop with work": "i = 0\nwhile True:\n    i = i + 1",
    "huge string": "s = 'x' * 10 ** 10",
    "doubling string": "s = 'ab'\nfor i in range(64):\n    s += s",
    "huge list": "items = [0] * 10 ** 9",
    "list built from a range": "items = list(range(10 ** 9))",
    "nested lists": "rows = [[0] * 100000 for r in range(1000)]",
    "list extended by itself": "items = [1]\nfor i in range(64):\n    items.extend(items)",
    "slice assignment doubling": "items = [1]\nfor i in range(64):\n    items[len(items):] = items",
    "huge number": "n = 10 ** 10 ** 8",
    "deep recursion": "def down(n):\n    return down(n + 1)\nx = down(0)",
    "huge join": "s = ','.join(['y' * 900000] * 900)",
    "huge padding": "s = 'a'.ljust(10 ** 10)",
}


def _incident_for(engine: ProcessEngine, script: str, key: str) -> Incident:
    deploy_unchecked(engine, "probe", script_after_task(script), "owner")
    engine.start("probe", key, {}, Actor("api:site"))
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == key)).one()
    state, revision = instance.state, instance.revision
    [task] = db.session.scalars(select(Task).where(Task.business_key == key))
    started = time.monotonic()
    with pytest.raises(StepFailed) as caught:
        engine.complete_task(task.id, {}, Actor("tester"))
    assert time.monotonic() - started < 10
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert (instance.state, instance.revision, instance.status) == (state, revision, "active")
    assert db.session.get(Task, task.id).status == "open"
    return db.session.get(Incident, caught.value.incident_id)


@pytest.mark.parametrize("script", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_a_runaway_script_opens_an_incident_and_the_next_complaint_runs(engine: ProcessEngine, register,
                                                                         script: str) -> None:
    incident = _incident_for(engine, script, "PROBE-L")
    assert (incident.kind, incident.element_id, incident.business_key) == ("limit", "calc", "PROBE-L")
    assert incident.message.startswith("script stopped: ")
    number = register()
    complaint_tasks = db.session.scalars(select(Task.step).where(Task.business_key == number)).all()
    assert complaint_tasks == ["1.1"]
    assert db.session.scalars(select(ProcessInstance.status).where(
        ProcessInstance.business_key == number)).one() == "active"


def test_a_runaway_condition_opens_an_incident_at_its_gateway(engine: ProcessEngine) -> None:
    deploy_unchecked(engine, "probe", diagram(
        '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>'
        '<bpmn:exclusiveGateway id="g" default="d"/><bpmn:sequenceFlow id="c" sourceRef="g" targetRef="e">'
        '<bpmn:conditionExpression>len([i for i in range(900000) for j in range(9)]) &gt; 0'
        '</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="d" sourceRef="g" targetRef="e"/><bpmn:endEvent id="e"/>'), "owner")
    instance = engine.start("probe", "PROBE-C", {}, Actor("api:site"))
    assert instance.status == "incident"
    incident = db.session.scalars(select(Incident).where(Incident.business_key == "PROBE-C")).one()
    assert incident.kind == "limit" and incident.element_id == "g" and "script stopped" in incident.message


def test_a_runaway_timer_expression_opens_an_incident(engine: ProcessEngine) -> None:
    deploy_unchecked(engine, "probe", diagram(
        '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="wait"/>'
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        '<bpmn:timeDate>"2030-01-01T00:00:00+00:00" * 10 ** 9</bpmn:timeDate></bpmn:timerEventDefinition>'
        '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>'
        '<bpmn:endEvent id="e"/>'), "owner")
    instance = engine.start("probe", "PROBE-T", {}, Actor("api:site"))
    assert instance.status == "incident"
    incident = db.session.scalars(select(Incident).where(Incident.business_key == "PROBE-T")).one()
    assert incident.kind == "limit" and incident.element_id == "wait" and "items" in incident.message


def test_the_calendar_helpers_are_counted_call_by_call_though_their_lines_are_not_traced() -> None:
    """The calendar is trusted code: its lines are not traced (that cost a millisecond per timer), but each
    of its calls is counted and checks the clocks, so a helper asked for a long span still meets the limits."""
    calendar = WorkCalendar()
    calendar.warm(dt.date(2030, 1, 9))  # the year's days classified, as a transaction's start does
    helpers = deadlines.helpers(lambda: calendar)
    bounds.trust(deadlines.__file__, work_calendar.__file__)
    tight = make_script_engine(helpers, ScriptLimits(max_steps=1000)).environment
    assert tight.evaluate('working_days_after("2030-01-09T10:00:00+03:00", 1)', {}) == "2030-01-10T15:00:00+00:00"
    with pytest.raises(ScriptLimitExceeded) as caught:
        tight.evaluate('working_days_after("2030-01-09T10:00:00+03:00", 2000)', {})
    assert "1000 steps" in caught.value.message


def test_try_is_refused_at_deploy_so_no_script_can_swallow_its_stop(engine: ProcessEngine) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        engine.deploy("probe", script_after_task("try:\n    x = 1\nexcept:\n    x = 2"), Actor("owner"))
    assert "try is not allowed" in str(caught.value.problems)


def test_the_limits_come_from_the_settings_and_ordinary_scripts_pass() -> None:
    env = make_script_engine(limits=ScriptLimits(max_steps=1000, max_items=50)).environment
    data: dict = {}
    env.execute("total = sum([i * 2 for i in range(10)])\nlabel = f'{total:>5}' + 'a'.ljust(3)\n"
                "seen = {'a': 1}\nseen.update({'b': 2}, c=3)", data)
    assert data == {"total": 90, "label": "   90a  ", "seen": {"a": 1, "b": 2, "c": 3}}
    with pytest.raises(BaseException, match="more than 1000 steps"):
        env.execute("i = 0\nwhile i < 10 ** 6:\n    i = i + 1", {})
    with pytest.raises(BaseException, match="larger than 50 items"):
        env.execute("x = 'a' * 51", {})


def test_the_api_answers_a_runaway_with_an_incident_and_keeps_serving(engine: ProcessEngine, client,
                                                                       auth: dict[str, str]) -> None:
    deploy_unchecked(engine, "probe", script_after_task("while True: pass"), "owner")
    engine.start("probe", "PROBE-H", {}, Actor("api:site"))
    [task] = db.session.scalars(select(Task).where(Task.business_key == "PROBE-H"))
    answer = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {}}, headers=auth)
    assert answer.is_json and "incident" in answer.get_json()["title"].lower()
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1
    listed = client.get("/api/v1/tasks?complaint=PROBE-H", headers=auth)
    assert listed.status_code == 200 and [t["id"] for t in listed.get_json()] == [task.id]
