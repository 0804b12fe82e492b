"""The database itself refuses to change or remove history and audit rows, on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from engine import Actor, ProcessEngine
from models import AuditLog, InstanceEvent, db


@pytest.fixture
def rows(engine: ProcessEngine, register: Any) -> None:
    register()
    engine.set_calendar_override(dt.date(2026, 12, 30), "day_off", [], "Перенос", Actor("qms"))
    db.session.commit()


@pytest.mark.parametrize(("table", "model"), [("instance_event", InstanceEvent), ("audit_log", AuditLog)])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET actor = 'someone else'", "DELETE FROM {table}"])
def test_update_and_delete_are_refused(rows: None, table: str, model: Any, statement: str) -> None:
    before = sorted(db.session.execute(select(model.id, model.actor)).all())
    assert before
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement.format(table=table)))
    db.session.expire_all()
    assert sorted(db.session.execute(select(model.id, model.actor)).all()) == before


def test_the_orm_cannot_change_an_event_either(rows: None) -> None:
    row = db.session.scalars(select(InstanceEvent).order_by(InstanceEvent.id)).first()
    row.actor = "someone else"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(InstanceEvent, row.id).actor == "operator"


def test_postgresql_refuses_truncate_too(rows: None) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite's only way to empty a table is DELETE, refused above")
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("TRUNCATE instance_event"))
    assert db.session.scalar(select(func.count()).select_from(InstanceEvent)) > 0
