"""Migration 0010 on a database with history: every instance gets a key and a valid chain,
the data opens to what it was, the rows become append-only; downgrading gives the data back as it was."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.history import sealing, verify
from engine.history.vault import opened_events
from tests.conftest import MIGRATIONS, history_tables, migrated_to

REVISION = "0010"
T0 = dt.datetime(2025, 11, 24, 7, 0, 0, 123456, tzinfo=dt.UTC)


def _previous() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_revision(REVISION).down_revision)


EVENTS = [  # instance 1: three events, one without data; instance 2: one
    (1, T0, "operator", "started", {"definition": "complaint", "variables": {"department": "ДКС"}}),
    (1, T0 + dt.timedelta(minutes=5), "Иванов", "task_completed", {"form": {"contact_summary": "Клиент доволен"}}),
    (1, T0 + dt.timedelta(minutes=5), "system", "completed", {}),
    (2, T0 + dt.timedelta(hours=1), "operator", "started", {"definition": "complaint"}),
]


def _seed(conn: Any) -> None:
    instance, event = history_tables(conn, T0)
    for number in (1, 2, 3):  # the third has no history at all
        conn.execute(instance.insert().values(id=number, definition_id=1, business_key=f"P{number}", status="active",
                                              state=b"{}", revision=1, started_at=T0, updated_at=T0))
    conn.execute(event.insert(), [dict(instance_id=i, at=at, actor=actor, kind=kind, data=data)
                                  for i, at, actor, kind, data in EVENTS])


def test_existing_history_is_sealed_chained_and_guarded(fresh_database: str) -> None:
    with migrated_to(fresh_database, _previous()) as other:
        with other.begin() as conn:
            _seed(conn)
        upgrade(directory=str(MIGRATIONS), revision=REVISION)
        with Session(other) as session:
            report = verify.check_database(session)
            assert (report.ok, report.instances, report.events) == (True, 3, 4), report.broken
            opened = opened_events(session, [1, 2])
            assert [(e.instance_id, e.seq, e.actor, e.kind, e.data) for e in opened] == [
                (i, seq, actor, kind, data) for seq, (i, _at, actor, kind, data)
                in zip([1, 2, 3, 1], EVENTS, strict=True)]
            assert opened[1].at == T0 + dt.timedelta(minutes=5)
            raw = session.execute(text("SELECT sealed FROM instance_event ORDER BY id")).scalars().all()
            assert raw[2] is None and "доволен".encode() not in bytes(raw[1])
            keys = session.execute(text("SELECT history_key FROM process_instance ORDER BY id")).scalars().all()
            # Case keys as sealing makes them now: AES-GCM-SIV, marked by their first byte.
            assert len(bytes(keys[0])) == 33 and bytes(keys[0])[:1] == sealing.SIV
            assert keys[0] != keys[1] and keys[2] is None
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), other.begin() as conn:
            conn.execute(text("DELETE FROM instance_event"))

        downgrade(directory=str(MIGRATIONS), revision=_previous())
        with other.connect() as conn:
            back = conn.execute(sa.select(sa.Table("instance_event", sa.MetaData(), autoload_with=conn))
                                .order_by(text("id"))).mappings().all()
            assert [(r["instance_id"], r["actor"], r["kind"], r["data"]) for r in back] == [
                (i, actor, kind, data) for i, _at, actor, kind, data in EVENTS]
            conn.execute(text("DELETE FROM instance_event"))  # the guard went with the downgrade
