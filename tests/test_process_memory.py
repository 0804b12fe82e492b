"""A long-running process settles what start-up left before it serves: the collector's full collections then
walk only what the process allocated since, so their pauses (which stop every thread, timers included) stay
short. The server, the scheduler and each gunicorn worker do it; what is allocated afterwards is still
collected."""
from __future__ import annotations

import gc
import os
import runpy
import signal
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from web.app import create_app
from web.process_memory import settle_after_start

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_settling_freezes_what_start_up_left_and_still_collects_what_comes_after(unfrozen: None) -> None:
    left_by_start_up = Cycle()
    frozen = settle_after_start()
    assert frozen == gc.get_freeze_count() > 1000
    assert not any(o is left_by_start_up for o in gc.get_objects())  # out of the collector's walk
    later = Cycle()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None


def test_a_gunicorn_worker_settles_once_it_has_loaded_the_app(unfrozen: None) -> None:
    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    hooks["post_worker_init"](object())
    assert gc.get_freeze_count() > 1000
    procfile = (ROOT / "deploy" / "Procfile").read_text()
    unit = (ROOT / "deploy" / "complaint-desk-web.service").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py " in procfile
    assert "gunicorn -c /opt/complaint-desk/deploy/gunicorn.conf.py " in unit


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["scheduler"]])
def test_the_server_and_the_scheduler_settle_before_the_scheduler_starts(app: Flask, config: Any, command: list[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    class Scheduler:
        def start(self) -> None:
            done.append("scheduler started")
            if command == ["scheduler"]:  # what stops `complaint-desk scheduler`: SIGTERM
                os.kill(os.getpid(), signal.SIGTERM)

        def shutdown(self) -> None:
            done.append("scheduler stopped")

    monkeypatch.setattr("web.scheduling.build_scheduler", lambda app: Scheduler())
    monkeypatch.setattr("web.process_memory.settle_after_start", lambda: done.append("settled") or 0)
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: done.append("served"))
    previous = signal.getsignal(signal.SIGTERM)
    try:
        result = create_app(config).test_cli_runner().invoke(args=command)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    expected = ["settled", "scheduler started", "served", "scheduler stopped"]
    assert done == (expected if command[0] == "serve" else [e for e in expected if e != "served"])
