"""Migration 0014 on a database with history: chains stored with their previous hashes still verify once the
column is gone, readers show the same previous hashes, the rows stay append-only; downgrading puts the
column back as it was."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from engine.history import chain, sealing, verify
from engine.history.vault import opened_events
from tests.conftest import MIGRATIONS, history_tables, migrated_to

T0 = dt.datetime(2026, 11, 24, 7, 0, 0, 123456, tzinfo=dt.UTC)
KEYS = {1: bytes(range(32)), 2: bytes(range(1, 33))}
EVENTS = [  # (instance, actor, kind, data)
    (1, "operator", "started", {"definition": "complaint", "variables": {"department": "ДКС"}}),
    (1, "Иванов", "task_completed", {"form": {"contact_summary": "Клиент доволен"}}),
    (1, "system", "completed", None),
    (2, "operator", "started", {"definition": "complaint"}),
]


def _seed(conn: Any) -> list[bytes]:
    """Two instances with chains as 0010-0013 stored them (prev_hash on every row); returns the prev hashes."""
    instance, event = history_tables(conn, T0)
    heads: dict[int, tuple[int, bytes]] = {}
    rows, prevs = [], []
    for n, (i, actor, kind, data) in enumerate(EVENTS):
        seq, prev = heads.get(i, (0, chain.GENESIS))
        seq, at = seq + 1, T0 + dt.timedelta(minutes=n)
        sealed = sealing.seal(KEYS[i], i, seq, data) if data else None
        digest = chain.link_hash(i, f"P{i}", seq, at, actor, kind, None, None, None, sealed, prev)
        rows.append(dict(instance_id=i, seq=seq, at=at, actor=actor, kind=kind, sealed=sealed, prev_hash=prev,
                         hash=digest))
        prevs.append(prev)
        heads[i] = (seq, digest)
    for i in (1, 2):
        conn.execute(instance.insert().values(id=i, definition_id=1, business_key=f"P{i}", status="active",
                                              state=b"{}", revision=1, started_at=T0, updated_at=T0,
                                              history_key=KEYS[i], history_seq=heads[i][0],
                                              history_head=heads[i][1]))
    conn.execute(event.insert(), rows)
    return prevs


def test_chains_verify_without_the_stored_previous_hash_and_come_back_on_downgrade(fresh_database: str) -> None:
    with migrated_to(fresh_database, "0013") as other:
        with other.begin() as conn:
            prevs = _seed(conn)
        upgrade(directory=str(MIGRATIONS), revision="0014")
        columns = {c["name"] for c in inspect(other).get_columns("instance_event")}
        assert "prev_hash" not in columns and {"hash", "sealed"} <= columns
        assert "ix_deadline_business_key" not in {i["name"] for i in inspect(other).get_indexes("deadline")}
        with Session(other) as session:
            report = verify.check_database(session)
            assert (report.ok, report.instances, report.events) == (True, 2, 4), report.broken
            opened = opened_events(session, [1, 2])
            assert [e.prev_hash for e in opened] == [prevs[i].hex() for i in (0, 1, 2, 3)]
            assert [e.data for e in opened] == [d if d else {} for *_, d in EVENTS]
            # A reader of one kind still gets the previous hash of each event it reads.
            [done] = opened_events(session, [1], ("task_completed",))
            assert done.prev_hash == prevs[1].hex()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), other.begin() as conn:
            conn.execute(text("DELETE FROM instance_event"))
        if other.dialect.name == "postgresql":
            with other.connect() as conn:
                assert conn.execute(text("SELECT attstorage FROM pg_attribute WHERE attrelid = "
                                         "'process_instance'::regclass AND attname = 'state'")).scalar() == "m"

        downgrade(directory=str(MIGRATIONS), revision="0013")
        with other.connect() as conn:
            back = conn.execute(text("SELECT prev_hash FROM instance_event ORDER BY id")).scalars().all()
            assert [bytes(b) for b in back] == prevs
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), other.begin() as conn:
            conn.execute(text("DELETE FROM instance_event"))
