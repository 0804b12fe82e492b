"""Deadlines follow the calendar: an override QMS adds or removes moves the open steps' deadlines."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.bpmn.walk import timer_tasks
from models import ProcessInstance, Timer, db
from tests.conftest import history_events
from tests.engine.test_deadlines import deadlines, local, msk, open_task, outbox


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False) as traveller:
        yield traveller


QMS = Actor("qms")


def waiting_due(engine: ProcessEngine, number: str, bpmn_id: str) -> str:
    """The due time SpiffWorkflow itself holds for a waiting timer (its event_value), in Moscow time."""
    db.session.expire_all()
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    workflow = engine.runtime.load(instance, engine.definitions.get(db.session, instance.definition_id))
    [task] = [t for t in timer_tasks(workflow) if t.task_spec.bpmn_id == bpmn_id and t.state == 8]
    return local(dt.datetime.fromisoformat(task._get_internal_data("event_value")))


def pending(bpmn_id: str) -> str:
    return local(db.session.scalars(select(Timer).where(Timer.bpmn_id == bpmn_id, Timer.status == "pending")).one()
                 .due_at)


def test_a_shortened_day_moves_the_open_step_and_its_timer(engine: ProcessEngine, register: Any, clock: Any) -> None:
    number = register()
    assert local(deadlines(number)["1.1"].due_at) == "2025-11-24 11:00"
    moved = engine.set_calendar_override(dt.date(2025, 11, 24), "shortened", [("09:00", "10:30")], "пожарные учения",
                                         QMS)
    assert moved == 1
    assert local(deadlines(number)["1.1"].due_at) == "2025-11-25 09:30"
    assert local(open_task(number).due_at) == "2025-11-25 09:30"
    assert pending("accept_breach") == "2025-11-25 09:30"
    assert waiting_due(engine, number, "accept_breach") == "2025-11-25 09:30"
    # Planned steps (no timer yet) move too: 1.2 is three working hours after registration.
    assert local(deadlines(number)["1.2"].due_at) == "2025-11-25 11:30"
    history = [(e.data["step"], local(dt.datetime.fromisoformat(e.data["from"])),
                local(dt.datetime.fromisoformat(e.data["to"])), e.data["day"], e.actor)
               for e in history_events("deadline_moved")]
    assert ("1.1", "2025-11-24 11:00", "2025-11-25 09:30", "2025-11-24", "qms") in history
    assert ("1.2", "2025-11-24 13:00", "2025-11-25 11:30", "2025-11-24", "qms") in history
    what_if = engine.what_if(msk("2025-11-24T10:00"))
    assert local(dt.datetime.fromisoformat(what_if["steps"][0]["due_at"])) == "2025-11-25 09:30"

    clock.move_to(msk("2025-11-24T11:00:30"))
    assert engine.fire_due_timers() == []
    assert deadlines(number)["1.1"].breached_at is None
    clock.move_to(msk("2025-11-25T09:30:30"))
    assert engine.fire_due_timers() == [number]
    assert deadlines(number)["1.1"].breached_at is not None
    assert ("deadline_breach", "head:ДКС") in outbox(number)


def test_removing_the_override_moves_them_back_and_a_day_off_moves_the_long_deadlines(
        engine: ProcessEngine, register: Any, clock: Any) -> None:
    number = register()
    before = {k: (local(d.due_at), local(d.goal_at)) for k, d in deadlines(number).items()}
    assert before["1.6"] == ("2025-12-12 18:00", "2025-12-01 18:00")
    engine.set_calendar_override(dt.date(2025, 11, 26), "day_off", [], "региональный выходной", QMS)
    after = {k: (local(d.due_at), local(d.goal_at)) for k, d in deadlines(number).items()}
    assert after["1.6"] == ("2025-12-15 18:00", "2025-12-02 18:00")
    assert after["1.3"][0] == "2025-11-28 18:00" and after["1.1"] == before["1.1"]
    assert waiting_due(engine, number, "stage1_breach") == "2025-12-15 18:00"
    engine.remove_calendar_override(dt.date(2025, 11, 26), QMS)
    assert {k: (local(d.due_at), local(d.goal_at)) for k, d in deadlines(number).items()} == before
    assert waiting_due(engine, number, "stage1_breach") == "2025-12-12 18:00"


YEKT = dt.timezone(dt.timedelta(hours=5))


def yekt(moment: dt.datetime | str | None) -> str | None:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(YEKT).strftime("%Y-%m-%d %H:%M") if moment else None


def test_a_branch_calendar_moves_its_open_complaints_and_what_if_follows_it(
        engine: ProcessEngine, register: Any, clock: Any) -> None:
    clock.move_to(msk("2025-11-24T17:30"))  # 19:30 in Yekaterinburg: after the branch's working day
    ours, other = register(), register(department="ОПР")
    assert local(deadlines(ours)["1.1"].due_at) == "2025-11-25 09:30"
    moved = engine.set_department_calendar("ДКС", "Asia/Yekaterinburg", [("2025-11-25", "региональный праздник")],
                                           QMS)
    assert moved == 1
    due = deadlines(ours)
    assert yekt(due["1.1"].due_at) == "2025-11-26 10:00" and yekt(open_task(ours).due_at) == "2025-11-26 10:00"
    assert yekt(due["1.3"].due_at) == "2025-11-28 18:00"
    assert waiting_due(engine, ours, "accept_breach") == local(due["1.1"].due_at)
    assert local(deadlines(other)["1.1"].due_at) == "2025-11-25 09:30"  # another department keeps Moscow's
    branch = engine.what_if(msk("2025-11-24T17:30"), "ДКС")
    assert branch["timezone"] == "Asia/Yekaterinburg"
    assert [yekt(s["due_at"]) for s in branch["steps"]][:1] == ["2025-11-26 10:00"]
    company = engine.what_if(msk("2025-11-24T17:30"))
    assert local(dt.datetime.fromisoformat(company["steps"][0]["due_at"])) == "2025-11-25 09:30"
    # A complaint registered after the change starts on the branch calendar at once.
    fresh = register()
    assert yekt(deadlines(fresh)["1.1"].due_at) == "2025-11-26 10:00"
    engine.remove_department_calendar("ДКС", QMS)
    assert local(deadlines(ours)["1.1"].due_at) == "2025-11-25 09:30"


def test_bad_department_calendars_are_refused_field_by_field(engine: ProcessEngine) -> None:
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        engine.set_department_calendar("ДКС", "Mars/Olympus", [("2025-13-01", ""), ("2025-11-25", "")], QMS)
    assert set(refused.value.fields) == {"timezone", "holidays.0"}
    with pytest.raises(InvalidInput) as unknown:
        engine.what_if(msk("2025-11-24T10:00"), "НЕТ")
    assert unknown.value.fields == {"department": ["Unknown department: НЕТ."]}
