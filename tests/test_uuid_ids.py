"""Task and timer ids and the task id of history events are UUIDs stored as 16 bytes (models.base.UUIDText,
migration 0017), given and read as the canonical text SpiffWorkflow names its tasks with."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.history import chain, verify
from models import InstanceEvent, Task, Timer, db
from tests.conftest import MIGRATIONS, history_tables, migrated_to

T0 = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
TASK = "0e932077-43af-49d9-b3e9-a841d956dc8c"


def test_ids_are_stored_in_16_bytes_and_read_as_text(engine: Any, register: Any) -> None:
    number = register()
    [task] = db.session.scalars(select(Task).where(Task.business_key == number)).all()
    timer_ids = db.session.scalars(select(Timer.id).where(Timer.business_key == number)).all()
    assert str(uuid.UUID(task.id)) == task.id and timer_ids
    assert db.session.get(Task, task.id) is task
    by_id = select(Task.business_key).where(Task.id.in_([task.id, "not-a-task"]))
    written_out = str(by_id.compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert db.session.scalars(text(written_out)).all() == [number]
    assert db.session.scalars(select(InstanceEvent.task_id).where(InstanceEvent.task_id == task.id)).all() == [
        task.id]
    sqlite = db.engine.dialect.name == "sqlite"
    sizes = db.session.execute(text("SELECT typeof(id), length(id) FROM task" if sqlite else
                                    "SELECT pg_typeof(id)::text, pg_column_size(id) FROM task")).one()
    assert tuple(sizes) == (("blob", 16) if sqlite else ("uuid", 16))


def test_an_id_that_is_not_a_canonical_uuid_finds_nothing(engine: Any, register: Any) -> None:
    task_id = db.session.scalars(select(Task.id).where(Task.business_key == register())).one()
    for wrong in ("not-a-task", task_id.upper(), task_id.replace("-", ""), ""):
        assert db.session.scalars(select(Task).where(Task.id == wrong)).all() == []
        assert db.session.get(Task, wrong) is None


def test_the_migration_turns_text_ids_into_bytes_and_back(fresh_database: str) -> None:
    with migrated_to(fresh_database, "0016") as other:
        sqlite = other.dialect.name == "sqlite"
        with other.begin() as conn:  # a task, its event and a timer, as 0016 stored them
            instance, event = history_tables(conn, T0)
            digest = chain.link_hash(1, "P1", 1, T0, "operator", "task_created", TASK, "accept", "1.1", None,
                                     chain.GENESIS)
            conn.execute(instance.insert().values(id=1, definition_id=1, business_key="P1", status="active",
                                                  state=b"{}", revision=1, started_at=T0, updated_at=T0,
                                                  history_seq=1, history_head=digest))
            conn.execute(event.insert().values(instance_id=1, seq=1, at=T0, actor="operator", kind="task_created",
                                               task_id=TASK, bpmn_id="accept", step="1.1", hash=digest))
            moment = (T0 - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1) if sqlite else T0
            conn.execute(text("INSERT INTO task (id, instance_id, business_key, bpmn_id, name, status, created_at) "
                              "VALUES (:id, 1, 'P1', 'accept', 'Принять', 'open', :at)"), {"id": TASK, "at": moment})
            conn.execute(text("INSERT INTO timer (id, instance_id, business_key, bpmn_id, due_at, status, created_at) "
                              "VALUES (:id, 1, 'P1', 'accept_breach', :at, 'pending', :at)"),
                         {"id": TASK.replace("0e", "1f", 1), "at": moment})
        upgrade(directory=str(MIGRATIONS), revision="0017")
        with Session(other) as session:
            assert session.scalars(select(InstanceEvent.task_id)).one() == TASK
            assert session.get(Task, TASK) is not None
            assert session.scalars(select(Timer.id)).one() == TASK.replace("0e", "1f", 1)
            report = verify.check_database(session)
            assert (report.ok, report.events) == (True, 1), report.broken
        if sqlite:
            with other.connect() as conn:
                assert conn.execute(text("SELECT typeof(task_id), length(task_id) FROM instance_event")).one() == (
                    "blob", 16)
        downgrade(directory=str(MIGRATIONS), revision="0016")
        with other.connect() as conn:
            assert conn.execute(text("SELECT task_id FROM instance_event")).scalar() == TASK
            assert conn.execute(text("SELECT id FROM task")).scalar() == TASK
