"""On PostgreSQL: timers and completions lock an instance before its timers, so they never deadlock; and a
deadlock the database does report is run again."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.orm import Session

from engine import ProcessEngine
from models import Department, ProcessInstance, db


@pytest.fixture
def postgres(engine: ProcessEngine) -> Iterator[Any]:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    other = create_engine(db.engine.url)
    yield other
    other.dispose()


def _wait_until_someone_waits(watcher: Connection) -> None:
    """Block until another transaction waits for a row lock (pg_locks), so the next step closes the cycle."""
    for _ in range(500):
        waiting = watcher.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        watcher.commit()
        if waiting:
            return
        threading.Event().wait(0.01)
    raise AssertionError("no transaction started waiting")


def test_firing_waits_for_the_instance_without_holding_its_timers(engine: ProcessEngine, register,
                                                                   postgres: Any) -> None:
    number = register()
    instance_id = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == number)).one()
    db.session.commit()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    fired: list[str] = []
    with postgres.connect() as completion, postgres.connect() as watcher:
        # A completion in progress: it holds the instance and is about to change the instance's timers.
        completion.execute(text("SET lock_timeout = '3s'"))
        completion.execute(text("SELECT id FROM process_instance WHERE id = :i FOR UPDATE"), {"i": instance_id})
        scheduler = ProcessEngine(Session(db.engine), engine.settings)
        runner = threading.Thread(target=lambda: fired.extend(scheduler.fire_due_timers(later)))
        runner.start()
        _wait_until_someone_waits(watcher)
        # Were the timers locked first, this would wait for the scheduler, which waits for us: a deadlock.
        changed = completion.execute(text("UPDATE timer SET created_at = created_at WHERE instance_id = :i"),
                                     {"i": instance_id})
        assert changed.rowcount >= 2
        completion.commit()
        runner.join(timeout=30)
        scheduler.session.close()
    assert not runner.is_alive() and fired == [number]


def test_a_deadlock_reported_by_the_database_is_run_again(engine: ProcessEngine, postgres: Any) -> None:
    rt = engine.runtime
    first, second = db.session.scalars(select(Department.id).order_by(Department.id).limit(2)).all()
    db.session.commit()
    attempts: list[int] = []
    lock = text("SELECT id FROM department WHERE id = :d FOR UPDATE")

    def rival() -> None:
        with postgres.connect() as conn:
            conn.execute(text("SET deadlock_timeout = '10s'"))  # so that our side is the one aborted
            conn.execute(lock, {"d": second})
            holds_second.set()
            conn.execute(lock, {"d": first})
            conn.commit()

    holds_second = threading.Event()

    def attempt() -> str:
        attempts.append(1)
        with rt.transaction() as s:
            s.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
            s.execute(lock, {"d": first})
            if len(attempts) == 1:
                threading.Thread(target=rival).start()
                holds_second.wait(10)
                with postgres.connect() as watcher:
                    _wait_until_someone_waits(watcher)
            s.execute(lock, {"d": second})
            s.execute(text("UPDATE department SET name = name || ' ✓' WHERE id = :d"), {"d": first})
        return "done"

    assert rt.retrying(attempt) == "done"
    assert len(attempts) == 2
    assert db.session.scalar(select(Department.name).where(Department.id == first)).endswith(" ✓")
