"""The rows a complaint's timers leave: a cancelled timer's row is deleted by the database in the statement that
cancels it (migration 0015); a fired one stays, and keeps its timer from firing twice."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, insert, select, update

from engine import Actor, ProcessEngine
from models import Deadline, InstanceEvent, ProcessInstance, Task, Timer, db
from tests.conftest import history_events
from tests.engine.test_deadlines import deadlines, msk, open_task
from tests.engine.test_paths import ACCEPT
from tests.history.helpers import BOTH_STAGES, walk


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False) as traveller:
        yield traveller


def timers(number: str) -> dict[str, str]:
    db.session.expire_all()
    return {t.bpmn_id: t.status for t in db.session.scalars(select(Timer).where(Timer.business_key == number))}


def timer_events(number: str) -> list[str]:
    return list(db.session.scalars(select(InstanceEvent.kind).join(ProcessInstance).where(
        ProcessInstance.business_key == number, InstanceEvent.kind.like("timer_%"))))


def test_a_step_done_in_time_leaves_no_row_of_its_timers(engine: ProcessEngine, register: Any, clock: Any) -> None:
    number = register()
    assert {"accept_warning": "pending", "accept_breach": "pending"}.items() <= timers(number).items()
    engine.complete_task(open_task(number).id, ACCEPT, Actor("responsible"))
    left = timers(number)
    assert "accept_warning" not in left and "accept_breach" not in left
    assert left["first_contact_breach"] == "pending" and left["stage1_breach"] == "pending"


def test_a_fired_timer_keeps_its_row_and_fires_once(engine: ProcessEngine, register: Any, clock: Any) -> None:
    number = register()
    clock.move_to(msk("2025-11-24T10:50"))  # past the warning at 10:45, before the breach at 11:00
    engine.fire_due_timers()
    engine.complete_task(open_task(number).id, ACCEPT, Actor("responsible"))
    engine.fire_due_timers()
    clock.move_to(msk("2025-11-24T11:30"))  # the breach of a step done in time does not come
    engine.fire_due_timers()
    left = timers(number)
    assert left["accept_warning"] == "fired" and "accept_breach" not in left
    assert timer_events(number) == ["timer_warning"]


def test_the_database_deletes_a_timer_row_written_cancelled(engine: ProcessEngine, register: Any) -> None:
    instance_id = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == register())
                                     ).one()
    due = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    row = dict(instance_id=instance_id, business_key="X", due_at=due, created_at=due)
    db.session.execute(insert(Timer), [{**row, "id": str(uuid.uuid4()), "bpmn_id": name, "status": status}
                                       for name, status in (("stays", "pending"), ("fires", "pending"),
                                                            ("cancelled", "pending"), ("born", "cancelled"))])
    db.session.execute(update(Timer).where(Timer.bpmn_id == "fires").values(status="fired"))
    db.session.execute(update(Timer).where(Timer.bpmn_id == "cancelled").values(status="cancelled"))
    db.session.commit()
    assert dict(db.session.execute(select(Timer.bpmn_id, Timer.status).where(Timer.business_key == "X")).all()
                ) == {"stays": "pending", "fires": "fired"}


def test_rows_of_a_complaint_closed_through_both_stages(engine: ProcessEngine, register: Any) -> None:
    """What a complaint closed in time leaves, row by row: the budget behind bench/storage.py's bytes."""
    number = register()
    walk(engine, number, BOTH_STAGES)
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    assert instance.status == "completed"

    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    assert count(Timer, Timer.business_key == number) == 0
    assert count(Task, Task.business_key == number) == len(BOTH_STAGES)
    assert count(Deadline, Deadline.business_key == number) == 5  # an immediate correction has no step 1.4
    assert count(InstanceEvent, InstanceEvent.instance_id == instance.id) == 2 * len(BOTH_STAGES) + 2


def test_a_calendar_change_moves_each_open_deadline_once_and_no_finished_one(engine: ProcessEngine, register: Any,
                                                                            clock: Any) -> None:
    """The re-plan tells an opened step (its timer moves it) from a planned one by the deadline's start, not
    by timer rows, which a finished step no longer has."""
    number = register()
    engine.complete_task(open_task(number).id, ACCEPT, Actor("responsible"))  # 1.1 done, 1.2 open, 1.3 planned
    started = {step: d.started_at for step, d in deadlines(number).items()}
    assert started["1.1"] is not None and started["1.2"] is not None and started["1.3"] is None
    before = {step: d.due_at for step, d in deadlines(number).items()}
    engine.set_calendar_override(dt.date(2025, 11, 24), "shortened", [("09:00", "10:30")], "учения", Actor("qms"))
    moved = [e.data["step"] for e in history_events("deadline_moved")]
    assert moved == ["1.2"]  # once, by its timer; 1.3 ends on the 27th whatever the 24th's hours
    after = {step: d.due_at for step, d in deadlines(number).items()}
    assert after["1.1"] == before["1.1"] and after["1.2"] != before["1.2"]
