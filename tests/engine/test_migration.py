"""Migration between versions: the preview's reasons, one transaction per instance, refused ones untouched."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import Actor, Bundle, ProcessEngine
from models import Deadline, Incident, InstanceEvent, ProcessInstance, Task, Timer, db
from tests.conftest import history_events
from tests.engine.test_paths import ACCEPT, Walker
from tests.engine.test_replay import edited, shipped

OWNER = Actor("owner")


def instance(number: str) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()


def open_task(number: str) -> Task:
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def deploy(engine: ProcessEngine, bundle: Bundle) -> int:
    return engine.deploy("complaint", bundle, OWNER, "test").version


def migrate(engine: ProcessEngine, numbers: list[str] | str, dry_run: bool, to: int = 2) -> dict[str, Any]:
    report = engine.migrate_instances("complaint", 1, to, numbers, dry_run, OWNER)
    return {r["business_key"]: r for r in report["instances"]}


def test_renamed_active_step_moves_and_keeps_its_task(engine: ProcessEngine, register: Any) -> None:
    number = register()
    task_id = open_task(number).id
    deploy(engine, edited('name="Принять претензию в работу"', 'name="Принять претензию"'))
    preview = migrate(engine, [number], dry_run=True)[number]
    assert (preview["can_move"], preview["moved"], preview["reasons"]) == (True, False, [])
    assert instance(number).definition.version == 1
    moved = migrate(engine, [number], dry_run=False)[number]
    assert moved["moved"] is True
    assert instance(number).definition.version == 2
    task = open_task(number)
    assert (task.id, task.name, task.step) == (task_id, "Принять претензию", "1.1")
    (event,) = history_events("migrated")
    assert event.data == {"definition": "complaint", "from_version": 1, "to_version": 2} and event.actor == "owner"
    engine.complete_task(task.id, ACCEPT, Actor("tester"))
    assert open_task(number).bpmn_id == "first_contact"


def test_changed_completed_step_is_refused_and_left_exactly_as_it_was(engine: ProcessEngine, register: Any) -> None:
    walker = Walker(engine, register(), False)
    walker.do("accept", ACCEPT)
    # accept now asks with another form: what was done at it is not what the target would do.
    deploy(engine, edited('<spiffworkflow:property name="form" value="accept.json"/>',
                          '<spiffworkflow:property name="form" value="handover.json"/>'))
    before = instance(walker.number)
    state, revision = bytes(before.state), before.revision
    refused = migrate(engine, [walker.number], dry_run=False)[walker.number]
    assert (refused["can_move"], refused["moved"]) == (False, False)
    [reason] = refused["reasons"]
    assert reason["element"] == "accept" and "completed task is changed" in reason["reason"]
    after = instance(walker.number)
    assert (bytes(after.state), after.revision, after.definition.version) == (state, revision, 1)
    assert not db.session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "migrated")).all()


def test_removed_active_step_is_refused(engine: ProcessEngine, register: Any) -> None:
    number = register()
    bundle = shipped()
    text = bundle.bpmn["stage1_correction.bpmn"]
    # first_contact's id becomes another: the instance waiting in it has nowhere to stand.
    deploy(engine, Bundle({**bundle.bpmn, "stage1_correction.bpmn": text.replace('"accept"', '"accept_v2"')
                           .replace(">accept<", ">accept_v2<")}, bundle.forms))
    refused = migrate(engine, [number], dry_run=True)[number]
    assert refused["can_move"] is False
    assert {"element": "accept", "reason": "the active task is missing in the target"} in refused["reasons"]


def test_a_form_that_no_longer_accepts_the_data_refuses(engine: ProcessEngine, register: Any) -> None:
    walker = Walker(engine, register(), False)
    walker.do("accept", ACCEPT)
    bundle = shipped()
    form = {**bundle.forms["accept.json"]}
    form["required"] = [*form.get("required", []), "accept_comment"]
    deploy(engine, Bundle(bundle.bpmn, {**bundle.forms, "accept.json": form}))
    refused = migrate(engine, [walker.number], dry_run=True)[walker.number]
    assert refused["can_move"] is False
    assert refused["reasons"][0]["element"] == "accept"
    assert "accept.json no longer accepts" in refused["reasons"][0]["reason"]
    assert "accept_comment" in refused["reasons"][0]["reason"]


def test_a_changed_timer_moves_the_timer_the_deadline_and_the_task_due(engine: ProcessEngine, register: Any) -> None:
    walker = Walker(engine, register(), False)
    walker.do("accept", ACCEPT)
    timer = db.session.scalars(select(Timer).where(Timer.business_key == walker.number,
                                                   Timer.bpmn_id == "first_contact_breach")).one()
    old_due = timer.due_at
    deploy(engine, edited("<bpmn:timeDate>working_hours_after(received_at, 3)</bpmn:timeDate>",
                          "<bpmn:timeDate>working_hours_after(received_at, 5)</bpmn:timeDate>"))
    assert migrate(engine, [walker.number], dry_run=False)[walker.number]["moved"] is True
    db.session.expire_all()
    timer = db.session.get(Timer, timer.id)
    deadline = db.session.scalars(select(Deadline).where(Deadline.business_key == walker.number,
                                                         Deadline.step == "1.2")).one()
    task = open_task(walker.number)
    assert timer.status == "pending" and timer.due_at != old_due
    assert deadline.due_at == timer.due_at == task.due_at


def test_all_with_dry_run_writes_nothing_and_completed_are_not_listed(engine: ProcessEngine, register: Any) -> None:
    first, second = register(), register()
    deploy(engine, edited('name="Принять претензию в работу"', 'name="Принять претензию"'))
    report = engine.migrate_instances("complaint", 1, 2, "all", True, OWNER)
    assert [r["business_key"] for r in report["instances"]] == [first, second]
    assert report["summary"] == {"total": 2, "can_move": 2, "moved": 0}
    assert {instance(first).definition.version, instance(second).definition.version} == {1}
    unknown = migrate(engine, ["P0000000000"], dry_run=True)["P0000000000"]
    assert unknown["reasons"] == [{"element": None, "reason": "no running instance on version 1"}]


def test_an_incident_is_retried_after_moving_to_a_fixed_version(engine: ProcessEngine, register: Any) -> None:
    broken = edited("rounds = 0</bpmn:script>", "rounds = start_rounds</bpmn:script>")
    assert deploy(engine, broken) == 2
    number = register()
    incident = db.session.scalars(select(Incident).where(Incident.business_key == number)).one()
    assert incident.element_id == "s1_open" and instance(number).status == "incident"
    assert deploy(engine, edited("Открыть этап коррекции", "Открыть этап коррекции (исправлено)")) == 3
    report = engine.migrate_instances("complaint", 2, 3, [number], False, OWNER)
    assert report["summary"]["moved"] == 1
    engine.retry_incident(incident.id, OWNER)
    assert instance(number).status == "active" and instance(number).definition.version == 3
    assert open_task(number).bpmn_id == "accept"
