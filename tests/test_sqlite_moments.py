"""Moments on SQLite are integer microseconds since 1970 UTC (models.base.UTCDateTime, migration 0016): 8 bytes
instead of 26 characters, given back exactly, compared as numbers; PostgreSQL keeps timestamptz."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from engine.history import chain, sealing, verify
from models import Deadline, InstanceEvent, db
from tests.conftest import MIGRATIONS, history_tables, migrated_to
from tests.history.helpers import BOTH_STAGES, walk

T0 = dt.datetime(2026, 11, 24, 7, 0, 0, 123456, tzinfo=dt.UTC)
MOMENTS = [T0, dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC), dt.datetime(1999, 12, 31, 23, 59, 59, 999999,
                                                                           tzinfo=dt.UTC)]


def test_a_moment_comes_back_exactly_and_compares_as_a_moment(app: object) -> None:
    msk = dt.timezone(dt.timedelta(hours=3))
    for step, moment in enumerate(MOMENTS):
        db.session.add(Deadline(business_key="M", step=str(step), due_at=moment.astimezone(msk)))
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(select(Deadline).where(Deadline.business_key == "M").order_by(Deadline.due_at)).all()
    assert [d.due_at for d in rows] == sorted(MOMENTS)
    assert all(d.due_at.tzinfo == dt.UTC for d in rows)
    after_seven = select(Deadline.step).where(Deadline.due_at > dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC))
    assert db.session.scalars(after_seven).all() == ["0"]
    written_out = str(after_seven.compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert db.session.scalars(text(written_out)).all() == ["0"]
    stored = db.session.execute(text("SELECT typeof(due_at) FROM deadline") if db.engine.dialect.name == "sqlite"
                                else text("SELECT pg_typeof(due_at)::text FROM deadline")).scalars().all()
    assert set(stored) == ({"integer"} if db.engine.dialect.name == "sqlite" else {"timestamp with time zone"})


def test_the_migration_turns_text_moments_into_integers_and_back(fresh_database: str) -> None:
    with migrated_to(fresh_database, "0015") as other:
        with other.begin() as conn:  # a chain of one event and a deadline, as 0015 stored them
            instance, event = history_tables(conn, T0)
            key = bytes(range(32))
            sealed = sealing.seal(key, 1, 1, {"step": "1.1"})
            digest = chain.link_hash(1, "P1", 1, T0, "operator", "started", None, None, None, sealed, chain.GENESIS)
            conn.execute(instance.insert().values(id=1, definition_id=1, business_key="P1", status="active",
                                                  state=b"{}", revision=1, started_at=T0, updated_at=T0,
                                                  history_key=key, history_seq=1, history_head=digest))
            conn.execute(event.insert().values(instance_id=1, seq=1, at=T0, actor="operator", kind="started",
                                               sealed=sealed, hash=digest))
            conn.execute(text("INSERT INTO deadline (business_key, step, due_at) VALUES ('P1', '1.1', :due)"),
                         {"due": "2026-11-24 07:00:00.123456" if other.dialect.name == "sqlite" else T0})
        sqlite = other.dialect.name == "sqlite"
        upgrade(directory=str(MIGRATIONS), revision="0016")
        with Session(other) as session:
            assert session.scalars(select(InstanceEvent.at)).one() == T0
            assert session.scalars(select(Deadline.due_at)).one() == T0
            report = verify.check_database(session)
            assert (report.ok, report.events) == (True, 1), report.broken
        if sqlite:
            with other.connect() as conn:
                assert conn.execute(text("SELECT typeof(at), at FROM instance_event")).one() == (
                    "integer", (T0 - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1))
        downgrade(directory=str(MIGRATIONS), revision="0015")
        if sqlite:
            with other.connect() as conn:
                assert conn.execute(text("SELECT at FROM instance_event")).scalar() == "2026-11-24 07:00:00.123456"
                assert conn.execute(text("SELECT due_at FROM deadline")).scalar() == "2026-11-24 07:00:00.123456"


def test_a_complaint_through_both_stages_leaves_no_moment_as_text(engine: Any, register: Any) -> None:
    """Every writer of every table goes through the type: text among the integers would compare wrongly."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores timestamptz")
    walk(engine, register(), BOTH_STAGES)
    inspector = inspect(db.engine)
    stored: dict[str, set[str]] = {}
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                stored.setdefault(table, set()).update(db.session.scalars(text(
                    f'SELECT DISTINCT typeof("{column["name"]}") FROM "{table}"')))
    assert all(kinds <= {"integer", "null"} for kinds in stored.values()), stored
    written = {table for table, kinds in stored.items() if "integer" in kinds}
    assert {"instance_event", "task", "deadline", "process_instance", "complaint", "appeal"} <= written
