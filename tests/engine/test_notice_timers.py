"""Notice timers fire in batches without loading a workflow, once each; a timer whose path has work still runs
through the engine; a later load of the instance repeats nothing."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select

from engine import Actor, Bundle, ProcessEngine
from engine.bpmn.persistence import load_workflow
from engine.bpmn.runtime import Runtime
from engine.time import firing
from engine.time.notice_timers import notice_timer_ids
from models import Outbox, ProcessInstance, Timer, db
from tests.conftest import history_events
from tests.engine.test_deadlines import deadlines, msk, outbox
from tests.engine.test_replay import edited

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
DEADLINE_TIMERS = {"accept_warning", "accept_breach", "first_contact_warning", "first_contact_breach",
                   "correction_warning", "correction_breach", "implement_warning", "implement_breach",
                   "verify_warning", "verify_breach", "stage1_goal", "stage1_warning", "stage1_breach"}
PLAIN_PATH = '<bpmn:sequenceFlow id="f_accept_warning" sourceRef="accept_warning" targetRef="accept_warning_end"/>'
# The owner puts work on the warning's path: a script before its end event.
WORK_PATH = ('<bpmn:sequenceFlow id="f_accept_warning" sourceRef="accept_warning" targetRef="note_warning"/>'
             '<bpmn:scriptTask id="note_warning" name="Отметить предупреждение">'
             '<bpmn:script>warning_noted = True</bpmn:script></bpmn:scriptTask>'
             '<bpmn:sequenceFlow id="f_note_warning" sourceRef="note_warning" targetRef="accept_warning_end"/>')


def instance_of(number: str) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()


def timer_events(number: str) -> list[tuple[str, str]]:
    return [(e.kind, e.data["timer"]) for e in history_events(instance_id=instance_of(number).id)
            if e.kind.startswith("timer_")]


def workflow_of(engine: ProcessEngine, number: str) -> Any:
    instance = instance_of(number)
    deployed = engine.runtime.definitions.get(db.session, instance.definition_id)
    return load_workflow(instance.state, deployed.spec, deployed.subprocess_specs)


def task_state(workflow: Any, bpmn_id: str) -> TaskState:
    return next(t.state for t in workflow.get_tasks() if t.task_spec.bpmn_id == bpmn_id)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def no_workflow_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the workflows the engine loads."""
    loads: list[int] = []
    load = Runtime.load

    def counting(self: Runtime, instance: ProcessInstance, deployed: Any) -> Any:
        loads.append(instance.id)
        return load(self, instance, deployed)

    monkeypatch.setattr(Runtime, "load", counting)
    return loads


def test_the_diagram_decides_which_timers_only_give_notice(engine: ProcessEngine) -> None:
    latest = engine.runtime.definitions.latest(db.session, "complaint")
    assert notice_timer_ids(latest) == DEADLINE_TIMERS
    bundle = Bundle.from_directory(PROCESSES)
    changed = {**bundle.bpmn, "stage1_correction.bpmn": bundle.bpmn["stage1_correction.bpmn"].replace(
        PLAIN_PATH, WORK_PATH)}
    assert changed != bundle.bpmn
    engine.deploy("complaint", Bundle(changed, bundle.forms), Actor("owner"))
    assert notice_timer_ids(engine.runtime.definitions.latest(db.session, "complaint")) == \
        DEADLINE_TIMERS - {"accept_warning"}


def test_notice_timers_fire_once_in_a_batch_without_loading_a_workflow(
        engine: ProcessEngine, register: Any, clock: Any, no_workflow_loads: list[int]) -> None:
    numbers = [register() for _ in range(3)]
    clock.move_to(msk("2025-11-24T10:46"))
    no_workflow_loads.clear()
    assert sorted(engine.fire_due_timers()) == sorted(numbers)
    assert no_workflow_loads == []
    for number in numbers:
        assert timer_events(number) == [("timer_warning", "accept_warning")]
        assert outbox(number) == [("deadline_warning", "user:responsible")]
        assert deadlines(number)["1.1"].warned_at is not None and deadlines(number)["1.1"].breached_at is None
        warning = db.session.scalars(select(Timer).where(Timer.business_key == number,
                                                         Timer.bpmn_id == "accept_warning")).one()
        assert warning.status == "fired" and warning.fired_at is not None
        # SpiffWorkflow still holds it waiting: the next load fires it there.
        assert task_state(workflow_of(engine, number), "accept_warning") == TaskState.WAITING
    assert engine.fire_due_timers() == []
    assert sum(len(outbox(n)) for n in numbers) == 3
    assert engine.verify_history().ok


def test_a_later_load_of_the_instance_repeats_no_notification(engine: ProcessEngine, register: Any,
                                                               clock: Any, no_workflow_loads: list[int]) -> None:
    number = register()
    clock.move_to(msk("2025-11-24T10:46"))
    engine.fire_due_timers()
    clock.move_to(msk("2025-11-24T11:00:30"))
    no_workflow_loads.clear()
    # Through the engine, as any other due timer of the instance would make it: SpiffWorkflow fires the waiting
    # warning now, and only the breach is new.
    assert firing._fire_through_engine(engine.runtime, instance_of(number).id, dt.datetime.now(dt.UTC)) == number
    assert no_workflow_loads == [instance_of(number).id]
    assert task_state(workflow_of(engine, number), "accept_warning") == TaskState.COMPLETED
    assert timer_events(number) == [("timer_warning", "accept_warning"), ("timer_breach", "accept_breach")]
    assert [kind for kind, _ in outbox(number)].count("deadline_warning") == 1
    assert outbox(number)[1:] == [("deadline_breach", "user:responsible"), ("deadline_breach", "head:ДКС"),
                                  ("deadline_breach", "group:СМК")]
    assert engine.verify_history().ok


def test_a_notice_timer_writes_what_the_engine_would(engine: ProcessEngine, register: Any, clock: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    batched = register()
    clock.move_to(msk("2025-11-24T10:46"))
    engine.fire_due_timers()
    clock.move_to(msk("2025-11-24T10:00"))
    through_engine = register()
    clock.move_to(msk("2025-11-24T10:46"))
    monkeypatch.setattr(firing, "_due_slice", lambda rt, now, passed: (
        [], [] if passed else [instance_of(through_engine).id]))
    assert engine.fire_due_timers() == [through_engine]

    def written(number: str) -> Any:
        events = [(e.kind, e.actor, e.at, {k: v for k, v in e.data.items() if k != "due_at"})
                  for e in history_events(instance_id=instance_of(number).id) if e.kind.startswith("timer_")]
        letters = [(o.kind, o.recipient, o.subject.replace(number, "N"), o.body.replace(number, "N"), o.status)
                   for o in db.session.scalars(select(Outbox).where(Outbox.business_key == number))]
        step = deadlines(number)["1.1"]
        return events, letters, (step.warned_at, step.breached_at), instance_of(number).updated_at

    assert written(batched) == written(through_engine)


def test_a_timer_whose_path_has_work_runs_through_the_engine(engine: ProcessEngine, register: Any, clock: Any,
                                                             no_workflow_loads: list[int]) -> None:
    bundle = Bundle.from_directory(PROCESSES)
    engine.deploy("complaint", Bundle({**bundle.bpmn, "stage1_correction.bpmn": bundle.bpmn[
        "stage1_correction.bpmn"].replace(PLAIN_PATH, WORK_PATH)}, bundle.forms), Actor("owner"))
    number = register()
    clock.move_to(msk("2025-11-24T10:46"))
    no_workflow_loads.clear()
    assert engine.fire_due_timers() == [number]
    assert no_workflow_loads == [instance_of(number).id]
    workflow = workflow_of(engine, number)
    assert task_state(workflow, "note_warning") == TaskState.COMPLETED
    assert task_state(workflow, "accept_warning") == TaskState.COMPLETED
    assert timer_events(number) == [("timer_warning", "accept_warning")]
    assert outbox(number) == [("deadline_warning", "user:responsible")]
    # Its breach, a plain notice, still goes in a batch.
    clock.move_to(msk("2025-11-24T11:00:30"))
    no_workflow_loads.clear()
    assert engine.fire_due_timers() == [number]
    assert no_workflow_loads == []
    assert timer_events(number)[1:] == [("timer_breach", "accept_breach")]


def test_a_calendar_change_does_not_move_a_notice_timer_that_fired(engine: ProcessEngine, register: Any,
                                                                    clock: Any) -> None:
    number = register()
    clock.move_to(msk("2025-11-24T11:00:30"))
    engine.fire_due_timers()
    assert deadlines(number)["1.1"].breached_at is not None
    engine.set_calendar_override(dt.date(2025, 11, 24), "shortened", [("09:00", "10:30")], "пожарные учения",
                                 Actor("qms"))
    # As when the engine fired it: the breach happened, so step 1.1's deadline stays where it was.
    assert deadlines(number)["1.1"].due_at == msk("2025-11-24T11:00")
    assert "1.1" not in [e.data["step"] for e in history_events("deadline_moved")]
    assert "1.2" in [e.data["step"] for e in history_events("deadline_moved")]


def test_moving_the_instance_to_a_new_version_repeats_no_notice(engine: ProcessEngine, register: Any,
                                                                 clock: Any) -> None:
    number = register()
    clock.move_to(msk("2025-11-24T10:46"))
    engine.fire_due_timers()
    engine.deploy("complaint", edited('name="Принять претензию в работу"', 'name="Принять претензию"'),
                  Actor("owner"), "test")
    report = engine.migrate_instances("complaint", 1, 2, [number], False, Actor("owner"))
    assert report["instances"][0]["moved"] is True
    engine.fire_due_timers()
    assert timer_events(number) == [("timer_warning", "accept_warning")]
    assert outbox(number) == [("deadline_warning", "user:responsible")]
    assert [t.status for t in db.session.scalars(select(Timer).where(
        Timer.business_key == number, Timer.bpmn_id == "accept_warning"))] == ["fired"]


def test_a_batch_costs_the_same_statements_for_one_instance_or_many(engine: ProcessEngine, register: Any,
                                                                     clock: Any) -> None:
    def statements_to_fire(count: int, day: str) -> list[str]:
        clock.move_to(msk(f"{day}T10:00"))
        for _ in range(count):
            register()
        clock.move_to(msk(f"{day}T11:00:30"))  # 1.1's warning and breach of each
        seen: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # SQLite gets one INSERT per history event from the ORM (PostgreSQL one for all): not the batch's doing;
            # nor is the calendar's freshness check, made every few seconds of wall-clock time.
            if not statement.startswith("INSERT INTO instance_event") and "calendar" not in statement:
                seen.append(re.split(r"\sWHERE\s|\sVALUES\s", statement)[0])

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert len(engine.fire_due_timers()) == count
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return seen

    assert statements_to_fire(1, "2025-11-24") == statements_to_fire(4, "2025-11-25")
