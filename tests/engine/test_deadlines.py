"""Deadline timers through the whole BPMN path, with time moved by time-machine."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from engine import Actor, Bundle, ProcessEngine
from models import Deadline, Incident, InstanceEvent, Outbox, ProcessInstance, Task, Timer, db
from tests.conftest import side_by_side
from tests.engine.test_paths import ACCEPT, CORRECT_LATER, HANDOVER, IMPLEMENT, REACHED, WORKS
from tests.unchecked import deploy_unchecked

MSK = ZoneInfo("Europe/Moscow")


def msk(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=MSK)


def local(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(MSK).strftime("%Y-%m-%d %H:%M") if moment else None


def deadlines(number: str) -> dict[str, Deadline]:
    db.session.expire_all()
    return {d.step: d for d in db.session.scalars(select(Deadline).where(Deadline.business_key == number))}


def open_task(number: str) -> Task:
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def outbox(number: str) -> list[tuple[str, str]]:
    return [(o.kind, o.recipient) for o in db.session.scalars(
        select(Outbox).where(Outbox.business_key == number).order_by(Outbox.id))]


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False) as traveller:
        yield traveller


def test_registration_arms_every_deadline_on_the_production_calendar(engine: ProcessEngine, register: Any,
                                                                     clock: Any) -> None:
    number = register()
    due = deadlines(number)
    assert {k: local(d.due_at) for k, d in due.items()} == {
        "1.1": "2025-11-24 11:00", "1.2": "2025-11-24 13:00", "1.3": "2025-11-27 18:00", "1.6": "2025-12-12 18:00"}
    assert local(due["1.6"].goal_at) == "2025-12-01 18:00"
    assert local(open_task(number).due_at) == "2025-11-24 11:00"
    pending = {(t.bpmn_id, local(t.due_at)) for t in db.session.scalars(select(Timer).where(Timer.status == "pending"))}
    assert ("accept_warning", "2025-11-24 10:45") in pending and ("accept_breach", "2025-11-24 11:00") in pending


def test_warning_then_breach_notify_and_keep_the_task_open(engine: ProcessEngine, register: Any, clock: Any) -> None:
    number = register()
    clock.move_to(msk("2025-11-24T10:46"))
    assert engine.fire_due_timers() == [number]
    assert outbox(number) == [("deadline_warning", "user:responsible")]
    assert deadlines(number)["1.1"].warned_at is not None and deadlines(number)["1.1"].breached_at is None
    clock.move_to(msk("2025-11-24T11:00:30"))
    engine.fire_due_timers()
    assert outbox(number)[1:] == [("deadline_breach", "user:responsible"), ("deadline_breach", "head:ДКС"),
                                  ("deadline_breach", "group:СМК")]
    task = open_task(number)
    assert task.step == "1.1" and task.status == "open"
    assert engine.fire_due_timers() == []
    assert len(outbox(number)) == 4
    kinds = [e.kind for e in db.session.scalars(select(InstanceEvent).order_by(InstanceEvent.id))]
    assert kinds.count("timer_warning") == 1 and kinds.count("timer_breach") == 1
    clock.move_to(msk("2025-11-24T11:15"))
    engine.complete_task(task.id, ACCEPT, Actor("responsible"))
    step = deadlines(number)["1.1"]
    assert (step.on_time, step.working_minutes) == (False, 75)


def test_on_time_path_cancels_timers_and_anchors_later_deadlines(engine: ProcessEngine, register: Any,
                                                                 clock: Any) -> None:
    number = register()
    for at, data in (("2025-11-24T10:20", ACCEPT), ("2025-11-24T12:00", REACHED),
                     ("2025-11-26T15:00", {**CORRECT_LATER, "implementation_date": "2025-12-03"})):
        clock.move_to(msk(at))
        engine.fire_due_timers()
        engine.complete_task(open_task(number).id, data, Actor("responsible"))
    assert local(deadlines(number)["1.4"].due_at) == "2025-12-03 18:00"
    clock.move_to(msk("2025-12-02T11:00"))
    engine.fire_due_timers()
    engine.complete_task(open_task(number).id, {**IMPLEMENT, "implemented_at": "2025-12-02T11:00:00+03:00"},
                         Actor("responsible"))
    assert local(deadlines(number)["1.5"].due_at) == "2025-12-05 18:00"
    clock.move_to(msk("2025-12-03T10:00"))
    engine.fire_due_timers()
    engine.complete_task(open_task(number).id, WORKS, Actor("responsible"))
    engine.complete_task(open_task(number).id, HANDOVER, Actor("responsible"))
    result = deadlines(number)
    assert {k: d.on_time for k, d in result.items()} == {s: True for s in ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6")}
    assert result["1.1"].working_minutes == 20 and result["1.3"].working_minutes == (6 + 9 + 6) * 60
    assert result["1.6"].goal_missed_at is not None  # 1 December 18:00 passed before the hand-over
    assert outbox(number) == [("deadline_goal", "user:responsible"), ("deadline_goal", "group:СМК")]
    # Each early step was done before its timers fell due: cancelled, they leave no row (migration 0015).
    assert [t for t in db.session.scalars(select(Timer)) if t.step in ("1.1", "1.2", "1.3", "1.4", "1.5")] == []


def test_backdated_registration_fires_overdue_steps_at_once(engine: ProcessEngine, register: Any,
                                                            clock: Any) -> None:
    number = register(received_at=msk("2025-11-14T10:00"))
    due = deadlines(number)
    assert local(due["1.1"].due_at) == "2025-11-14 11:00" and due["1.1"].breached_at is not None
    assert local(due["1.3"].due_at) == "2025-11-19 18:00" and due["1.3"].breached_at is None
    assert due["1.6"].breached_at is None and due["1.6"].goal_missed_at is not None
    assert ("deadline_breach", "group:СМК") in outbox(number)
    assert open_task(number).step == "1.1"
    engine.complete_task(open_task(number).id, ACCEPT, Actor("responsible"))
    engine.complete_task(open_task(number).id, REACHED, Actor("responsible"))
    assert open_task(number).step == "1.3" and deadlines(number)["1.3"].breached_at is not None


def test_scheduler_catches_up_after_downtime_and_rearms(app: Flask, engine: ProcessEngine, register: Any,
                                                         clock: Any) -> None:
    from web.scheduling import build_scheduler

    number = register()
    clock.move_to(msk("2025-11-26T09:30"))
    scheduler = build_scheduler(app)
    done = threading.Event()
    original = engine.fire_due_timers

    def observed(*args: Any) -> list[str]:
        result = original(*args)
        done.set()
        return result

    engine.fire_due_timers = observed  # type: ignore[method-assign]
    scheduler.start()
    try:
        assert done.wait(20)
        assert any(job.startswith("due-") for job in scheduler.jobs)
    finally:
        scheduler.shutdown(wait=True)  # its tick must not outlive the test
    assert deadlines(number)["1.1"].breached_at is not None
    assert ("deadline_breach", "head:ДКС") in outbox(number)


def test_two_schedulers_never_fire_a_timer_twice(app: Flask, engine: ProcessEngine, register: Any,
                                                 clock: Any) -> None:
    numbers = [register() for _ in range(4)]
    db.session.commit()
    clock.move_to(msk("2025-11-24T12:00"))
    barrier = threading.Barrier(2)

    def scheduler_process() -> None:
        other = ProcessEngine(db.session, engine.settings)
        barrier.wait()
        other.fire_due_timers()

    errors = side_by_side(app, scheduler_process)
    engine.fire_due_timers()
    db.session.expire_all()
    assert not [e for e in errors if "ConcurrentUpdate" not in type(e).__name__]
    for number in numbers:
        assert outbox(number).count(("deadline_breach", "group:СМК")) == 1
    breaches = db.session.scalar(select(func.count()).where(InstanceEvent.kind == "timer_breach"))
    assert breaches == 4


def test_a_failing_timer_opens_an_incident_and_the_others_still_fire(engine: ProcessEngine, register: Any,
                                                                     clock: Any) -> None:
    head = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="t">')
    deploy_unchecked(engine, "probe", Bundle({"probe.bpmn": head + """<bpmn:process id="probe" isExecutable="true">
      <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
      <bpmn:userTask id="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/><bpmn:endEvent id="e"/>
      <bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false">
        <bpmn:timerEventDefinition><bpmn:timeDate>working_hours_after(start_at, 1)</bpmn:timeDate>
        </bpmn:timerEventDefinition></bpmn:boundaryEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="boom"/>
      <bpmn:scriptTask id="boom"><bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>
      <bpmn:sequenceFlow id="f4" sourceRef="boom" targetRef="e2"/><bpmn:endEvent id="e2"/>
      </bpmn:process></bpmn:definitions>"""}), "owner")
    engine.start("probe", "PROBE-T", {"start_at": msk("2025-11-24T09:00").isoformat()}, Actor("test"))
    number = register()
    clock.move_to(msk("2025-11-24T11:30"))
    assert engine.fire_due_timers() == [number]
    incident = db.session.scalars(select(Incident)).one()
    assert incident.business_key == "PROBE-T" and incident.element_id == "boom"
    probe = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "PROBE-T")).one()
    assert probe.status == "incident"
    assert {t.status for t in db.session.scalars(select(Timer).where(Timer.business_key == "PROBE-T"))} == {"failed"}
    assert engine.fire_due_timers() == []
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1


def test_retrying_an_incident_runs_the_instance_on(client: Any, auth: dict[str, str], engine: ProcessEngine,
                                                   clock: Any) -> None:
    failures = iter([True])
    engine.script_engine.environment.globals["flaky_service"] = lambda: 1 / 0 if next(failures, False) else 1
    head = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="t">')
    deploy_unchecked(engine, "flaky", Bundle({"flaky.bpmn": head + """<bpmn:process id="flaky" isExecutable="true">
      <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
      <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
        <bpmn:timeDate>working_hours_after(start_at, 1)</bpmn:timeDate></bpmn:timerEventDefinition>
      </bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="call"/>
      <bpmn:scriptTask id="call"><bpmn:script>answer = flaky_service()</bpmn:script></bpmn:scriptTask>
      <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="e"/><bpmn:endEvent id="e"/>
      </bpmn:process></bpmn:definitions>"""}), "owner")
    engine.start("flaky", "FLAKY-1", {"start_at": msk("2025-11-24T10:00").isoformat()}, Actor("test"))
    clock.move_to(msk("2025-11-24T11:30"))
    engine.fire_due_timers()
    [listed] = client.get("/api/v1/incidents", headers=auth).get_json()
    assert listed["business_key"] == "FLAKY-1" and listed["element_id"] == "call"
    retried = client.post(f"/api/v1/incidents/{listed['id']}/retry", headers=auth)
    assert retried.status_code == 200 and retried.get_json()["resolved_by"] == "api:test-channel"
    db.session.expire_all()
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "FLAKY-1")).one()
    assert instance.status == "completed"
    assert {t.status for t in db.session.scalars(select(Timer).where(Timer.business_key == "FLAKY-1"))} == {"fired"}
    assert client.get("/api/v1/incidents", headers=auth).get_json() == []
    again = client.post(f"/api/v1/incidents/{listed['id']}/retry", headers=auth)
    assert again.status_code == 409


def test_registrations_in_a_provisional_year_warn_qms_once(engine: ProcessEngine, register: Any) -> None:
    with time_machine.travel(msk("2029-03-01T10:00"), tick=False):
        register()
        register()
    warnings = db.session.scalars(select(Outbox).where(Outbox.kind == "calendar_provisional")).all()
    assert [(w.recipient, w.dedupe_key) for w in warnings] == [("group:СМК", "calendar-provisional:2029")]
    assert "2029" in warnings[0].subject
