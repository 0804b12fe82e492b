"""The rows the engine writes itself, past the ORM's flush (engine/bpmn/rows.py, engine/bpmn/locking.py), are
written, read and undone as the ORM's would be: the same stored form of every value, the same objects in the
session after a rollback, and relationships that follow the locked row."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import String, func, inspect, select, type_coerce

from engine import Actor, ProcessEngine
from engine.bpmn import direct_writes
from engine.errors import TaskAssignedToOther
from models import Deadline, ProcessInstance, Task, Timer, db
from tests.engine.test_deadlines import msk
from tests.engine.test_paths import ACCEPT
from web.app import create_app


@pytest.fixture
def clock() -> Any:
    # A whole minute: the calendar's due times then fall on whole seconds, the form most likely to differ.
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False) as traveller:
        yield traveller


def test_moments_written_directly_compare_like_those_the_orm_wrote(engine: ProcessEngine, register,
                                                                    clock: Any) -> None:
    number = register()
    timer = db.session.scalars(select(Timer).where(Timer.business_key == number).order_by(Timer.due_at)).first()
    task = db.session.scalars(select(Task).where(Task.business_key == number)).one()
    deadline = db.session.scalars(select(Deadline).where(Deadline.business_key == number,
                                                         Deadline.step == "1.1")).one()
    assert timer.due_at.microsecond == 0  # the case at stake
    count = func.count()
    # Bound moments (as every query binds them) find the rows the engine wrote, by equality and by order.
    assert db.session.scalar(select(count).where(Timer.id == timer.id, Timer.due_at == timer.due_at)) == 1
    assert db.session.scalar(select(count).where(Timer.id == timer.id, Timer.due_at < timer.due_at)) == 0
    assert db.session.scalar(select(count).where(Task.id == task.id, Task.created_at == task.created_at)) == 1
    # A task's creation and its step's start are the same moment, one written directly, one through Core.
    stored = db.session.execute(select(Task.created_at, Deadline.started_at)
                                .join(Deadline, Deadline.business_key == Task.business_key)
                                .where(Task.id == task.id, Deadline.id == deadline.id)).one()
    assert stored[0] == stored[1]
    # And stored alike, value for value (SQLite keeps moments in a form of its own: text or numbers).
    raw = db.session.execute(select(type_coerce(Task.created_at, String), type_coerce(Deadline.started_at, String))
                             .join(Deadline, Deadline.business_key == Task.business_key)
                             .where(Task.id == task.id, Deadline.id == deadline.id)).one()
    assert raw[0] == raw[1]


def test_a_timer_fires_after_its_due_moment_not_at_it(engine: ProcessEngine, register, clock: Any) -> None:
    number = register()
    timer = db.session.scalars(select(Timer).where(Timer.business_key == number).order_by(Timer.due_at)).first()
    due, timer_id = timer.due_at, timer.id
    db.session.commit()
    engine.fire_due_timers(due)
    db.session.expire_all()
    assert db.session.get(Timer, timer_id).status == "pending"
    engine.fire_due_timers(due + dt.timedelta(seconds=1))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Timer.id == timer_id, Timer.status == "pending")) == 0


def test_an_instance_inserted_in_a_transaction_rolled_back_leaves_the_session(engine: ProcessEngine) -> None:
    rt = engine.runtime

    def new(key: str) -> ProcessInstance:
        now = dt.datetime.now(dt.UTC)
        return ProcessInstance(definition_id=deployed_id, business_key=key, status="active", state=b"",
                               started_at=now, updated_at=now)

    with rt.transaction() as s:
        deployed_id = rt.definitions.latest(s, "complaint").id
    with pytest.raises(RuntimeError), rt.transaction() as s:
        gone = direct_writes.insert_instance(s, new("R-1"))
        raise RuntimeError("a later step of the same transaction failed")
    assert gone not in db.session and inspect(gone).transient
    with rt.transaction() as s:  # the next insert may take the same id: nothing is in its way
        kept = direct_writes.insert_instance(s, new("R-2"))
    db.session.expire_all()
    assert [i.business_key for i in db.session.scalars(select(ProcessInstance))] == ["R-2"]
    assert inspect(kept).persistent


@pytest.fixture
def other_process(app: Flask, config: Any) -> Flask:
    """A second application on the same database: another worker."""
    return create_app(config)


@pytest.mark.parametrize("assigned_before", [True, False], ids=["assigned", "unassigned"])
def test_a_task_given_to_someone_else_meanwhile_is_refused_naming_them(app: Flask, engine: ProcessEngine,
                                                                       register, other_process: Flask,
                                                                       assigned_before: bool) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a read before another worker's commit, then the lock: PostgreSQL's READ COMMITTED")
    number = register() if assigned_before else register(department="ОПР")
    department = "ДКС" if assigned_before else "ОПР"
    first = engine.create_user("first", "Первый", "demo-password-1", ["responsible"], [department])
    engine.create_user("second", "Второй", "demo-password-2", ["responsible"], [department])
    first_id = first.id
    db.session.commit()
    row = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
    task_id = row.id
    assert (row.assignee is not None) == assigned_before  # the relationship read before the lock
    with other_process.app_context():
        other_process.extensions["complaint_engine"].assign(task_id, "second", Actor("crm"), "meanwhile")
        db.session.remove()
    with pytest.raises(TaskAssignedToOther) as refused:
        engine.complete_task(task_id, ACCEPT, Actor("first", user_id=first_id))
    assert "Второй" in str(refused.value)
