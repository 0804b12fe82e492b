"""A scheduler killed with SIGKILL in the middle of a tick while another runs: nothing lost, nothing doubled.

The victim runs through `pause_in_tick`, which holds its tick open right after it has fired the first
instance (workflow saved, timers marked, history and outbox rows written, none of it committed, the rows
locked). The test kills it there, with the second scheduler already running (on PostgreSQL: already
waiting for the victim's lock), and then checks the database and what a real SMTP server received.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import func, select, text

from engine import Actor, ProcessEngine
from models import Outbox, Timer, db
from tests.conftest import complaint_input, history_events
from tests.deploy.processes import BIN, environment, start, stop, wait_for
from tests.intake.test_outbox import Inbox

COMPLAINTS = 8


def _register_backlog(engine: ProcessEngine) -> None:
    """Complaints registered three weeks ago with nobody running timers since: every one has a backlog."""
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=21), tick=False):
        for i in range(COMPLAINTS):
            engine.register_appeal(complaint_input(subject=f"Жалоба {i}"), Actor("operator"))
    db.session.commit()


def _fresh(statement: Any) -> Any:
    db.session.rollback()  # read what the other processes committed, not a snapshot
    return db.session.execute(statement)


def _no_outbox_lease() -> bool:
    return not _fresh(select(func.count()).select_from(Outbox).where(
        (Outbox.status == "sending") | ((Outbox.status == "pending") & (Outbox.attempts > 0)))).scalar()


def _survivor_waits_for_a_lock(app: Flask) -> bool:
    if db.engine.dialect.name != "postgresql":
        return True  # SQLite has no lock view; the survivor's writes wait on the victim's open transaction
    return bool(_fresh(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).scalar())


def test_a_scheduler_killed_mid_tick_loses_and_doubles_nothing(app: Flask, engine: ProcessEngine,
                                                               database_url: str, tmp_path: Path,
                                                               smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    _register_backlog(engine)
    due = list(_fresh(select(Timer.id, Timer.instance_id, Timer.bpmn_id, Timer.due_at).where(
        Timer.status == "pending", Timer.due_at < dt.datetime.now(dt.UTC))))
    assert len({t.instance_id for t in due}) == COMPLAINTS  # a backlog on every instance
    marker = tmp_path / "paused"
    victim_log, survivor_log = tmp_path / "victim.log", tmp_path / "survivor.log"
    logs = (victim_log, survivor_log)
    # The victim's sender polls only when it starts (the outbox is empty then): a sender killed holding a
    # lease is resumed when the lease ends (tests/intake/test_outbox.py); here the kill is inside the tick.
    victim = start([sys.executable, "-m", "tests.deploy.pause_in_tick", "scheduler"], environment(
        database_url, tmp_path, port, PAUSE_MARKER=str(marker), OUTBOX_POLL_SECONDS="3600"), victim_log)
    survivor = None
    try:
        wait_for(marker.exists, "the victim reaches the middle of its tick", logs=logs)
        # Its sender's one run (at start) has settled whatever it took; from here it holds no lease.
        wait_for(_no_outbox_lease, "the victim's sender is idle", logs=logs)
        survivor = start([str(BIN / "complaint-desk"), "scheduler"], environment(database_url, tmp_path, port),
                         survivor_log)
        wait_for(lambda: "timer scheduler running" in survivor_log.read_text(), "the survivor starts", logs=logs)
        wait_for(lambda: _survivor_waits_for_a_lock(app), "the survivor waits for the victim's lock", logs=logs)
        assert victim.poll() is None
        os.killpg(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL

        def all_done() -> bool:
            pending = _fresh(select(func.count()).select_from(Timer).where(
                Timer.id.in_([t.id for t in due]), Timer.status == "pending")).scalar()
            unsent = _fresh(select(func.count()).select_from(Outbox).where(Outbox.status != "sent")).scalar()
            sent = _fresh(select(func.count()).select_from(Outbox)).scalar()
            return pending == 0 and unsent == 0 and sent > 0 and len(inbox.messages) >= sent

        wait_for(all_done, "every due timer fired and every notification sent", seconds=45, logs=logs)
    finally:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(timeout=10)
        if survivor is not None:
            stop(survivor)
    db.session.rollback()
    # Every due timer fired exactly once: one history event each, written by the survivor's commit.
    statuses = Counter(db.session.scalars(select(Timer.status).where(Timer.id.in_([t.id for t in due]))))
    assert statuses == {"fired": len(due)}, statuses
    fired = Counter((e.instance_id, e.data["timer"], e.data["due_at"]) for e in history_events()
                    if e.kind.startswith("timer_"))
    assert sorted(fired) == sorted((t.instance_id, t.bpmn_id, t.due_at.isoformat()) for t in due)
    assert set(fired.values()) == {1}
    # Every notification reached the SMTP server exactly once: the outbox rows, one message each.
    rows = list(db.session.scalars(select(Outbox)))
    deadline_rows = [r for r in rows if r.kind.startswith("deadline_")]
    assert len(deadline_rows) >= len(due) and {r.status for r in rows} == {"sent"}
    received = Counter(message["Message-ID"] for _rcpt, message in inbox.messages)
    assert received == Counter({r.message_id: 1 for r in rows})
    addressed = Counter((r.subject, tuple(rcpt)) for rcpt, message in inbox.messages
                        for r in [next(row for row in rows if row.message_id == message["Message-ID"])])
    assert set(addressed.values()) == {1}
