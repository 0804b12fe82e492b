"""Each outbox row goes out once, under its own Message-ID: two senders reading the same rows, a commit that fails
after the server accepted the message, and a resend the sender cannot avoid."""
from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from engine import ProcessEngine
from engine.errors import ConcurrentUpdate
from engine.notify import notifications
from models import Outbox, db
from tests.conftest import side_by_side
from tests.intake.test_outbox import Inbox, smtp, telegram, wired

__all__ = ["smtp", "telegram", "wired"]
START = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)


def _queue(count: int) -> None:
    for i in range(count):
        notifications.enqueue(db.session, "calendar_provisional", "group:СМК", f"probe-{i}", {"year": 2030 + i}, START)
    db.session.commit()


def _ids_received(inbox: Inbox) -> Counter[str]:
    return Counter(message["Message-ID"] for _rcpt, message in inbox.messages)


def _rows() -> list[Outbox]:
    db.session.expire_all()
    return list(db.session.scalars(select(Outbox).order_by(Outbox.id)))


@pytest.fixture
def in_step(app: Flask) -> Iterator[set[int]]:
    """Threads listed here stop after each read of the outbox until the other one has read too: two schedulers
    that look at the same rows at the same moment, the interleaving that load produces now and then."""
    racers: set[int] = set()
    together = threading.Barrier(2, timeout=2)

    def after_read(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() in racers and statement.lstrip().upper().startswith("SELECT") \
                and "FROM OUTBOX" in statement.upper():
            with contextlib.suppress(threading.BrokenBarrierError):  # the other sender reads no more: go on alone
                together.wait()

    event.listen(db.engine, "after_cursor_execute", after_read)
    yield racers
    event.remove(db.engine, "after_cursor_execute", after_read)


def test_two_senders_reading_the_same_rows_send_each_once(app: Flask, wired: ProcessEngine, smtp: tuple[Inbox, int],
                                                          in_step: set[int]) -> None:
    _queue(3)

    def sender() -> None:
        in_step.add(threading.get_ident())
        with time_machine.travel(START, tick=False):
            wired.deliver_outbox()

    errors = side_by_side(app, sender)
    rows = _rows()
    assert errors == [] and [r.status for r in rows] == ["sent"] * 3
    assert _ids_received(smtp[0]) == Counter({r.message_id: 1 for r in rows})


def _failing_commits(times: int, inbox: Inbox) -> list[int]:
    """Commits that write fail as SQLite's do under contention ("database is locked"), `times` times, once the
    SMTP server has accepted the message."""
    failed: list[int] = []
    wrote = [False]  # this transaction wrote something: its commit is the one that can fail

    def written(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Through the flush or straight (the engine writes changed rows with its own UPDATEs).
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            wrote[0] = True

    def ended(*_args: Any) -> None:
        wrote[0] = False

    def before_commit(session: Any) -> None:
        if inbox.messages and (session.dirty or wrote[0]) and len(failed) < times:
            failed.append(1)
            raise OperationalError("COMMIT", None, sqlite3.OperationalError("database is locked"))

    session = db.session()
    event.listen(db.engine, "before_cursor_execute", written)
    event.listen(session, "after_commit", ended)
    event.listen(session, "after_soft_rollback", ended)
    event.listen(session, "before_commit", before_commit)
    return failed


def test_a_commit_that_fails_after_the_send_does_not_send_again(wired: ProcessEngine,
                                                                smtp: tuple[Inbox, int]) -> None:
    _queue(1)
    failed = _failing_commits(1, smtp[0])
    with time_machine.travel(START, tick=False):
        assert wired.deliver_outbox() == {"sent": 1, "retry": 0, "failed": 0}
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        assert wired.deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0}
    [row] = _rows()
    assert failed == [1] and (row.status, row.attempts) == ("sent", 1)
    assert _ids_received(smtp[0]) == Counter({row.message_id: 1})


def test_a_row_whose_outcome_is_unknown_keeps_the_message_id_that_went_out(wired: ProcessEngine,
                                                                          smtp: tuple[Inbox, int]) -> None:
    _queue(1)
    _failing_commits(100, smtp[0])  # the database stays locked until the sender gives up
    with time_machine.travel(START, tick=False), pytest.raises(ConcurrentUpdate):
        wired.deliver_outbox()
    db.session.rollback()
    [row] = _rows()
    assert row.status == "sending" and _ids_received(smtp[0]) == Counter({row.message_id: 1})


def test_a_resend_the_sender_cannot_avoid_carries_the_same_message_id(wired: ProcessEngine,
                                                                      smtp: tuple[Inbox, int],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The server stores the message but answers with a temporary failure: the retry must let the receiver see
    the second copy as the same message."""
    inbox = smtp[0]
    accept = Inbox.handle_DATA

    async def stored_then_refused(self: Inbox, *args: Any) -> str:
        await accept(self, *args)
        return "451 4.3.0 try again later" if len(self.messages) == 1 else "250 Message accepted"

    monkeypatch.setattr(Inbox, "handle_DATA", stored_then_refused)
    _queue(1)
    with time_machine.travel(START, tick=False) as clock:
        assert wired.deliver_outbox()["retry"] == 1
        clock.move_to(START + dt.timedelta(minutes=1))
        assert wired.deliver_outbox()["sent"] == 1
    [row] = _rows()
    assert row.status == "sent" and _ids_received(inbox) == Counter({row.message_id: 2})
