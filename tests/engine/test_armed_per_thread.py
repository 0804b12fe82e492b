"""The due times a transaction arms wake the scheduler after its commit, whatever other threads (requests, the
scheduler's own tick) begin and commit on the same runtime meanwhile."""
from __future__ import annotations

import datetime as dt
import threading

from flask import Flask

from engine import ProcessEngine
from models import db


def test_a_transaction_on_another_thread_neither_clears_nor_takes_the_armed_due_times(
        app: Flask, engine: ProcessEngine) -> None:
    rt = engine.runtime
    woken: list[tuple[str, dt.datetime]] = []
    rt.on_timer_armed = lambda due: woken.append((threading.current_thread().name, due))
    mine = dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC)
    armed, other_done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def arming() -> None:
        try:
            with app.app_context():
                with rt.transaction():
                    rt.note_armed([mine])
                    armed.set()
                    assert other_done.wait(10)  # another thread's whole transaction runs now
                db.session.remove()
        except BaseException as err:  # reported to the test's thread
            failures.append(err)

    def other() -> None:
        try:
            assert armed.wait(10)
            with app.app_context():
                with rt.transaction():
                    pass
                db.session.remove()
        except BaseException as err:
            failures.append(err)
        finally:
            other_done.set()

    threads = [threading.Thread(target=arming, name="arming"), threading.Thread(target=other, name="other")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert failures == []
    assert woken == [("arming", mine)]
