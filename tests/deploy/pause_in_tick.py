"""Runs `complaint-desk` with the timer tick held open: the first instance (or batch of instances) it fires is
written but never committed, so a test can kill the process in the middle of a tick (env PAUSE_MARKER names the
file that says it is there)."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from engine.time import firing, notice_timers

_fire_instance = firing._fire_instance
_fire_notices = notice_timers.fire


def _hold() -> None:
    Path(os.environ["PAUSE_MARKER"]).write_text(str(os.getpid()))
    threading.Event().wait()


def _fire_and_hold(*args: Any, **kwargs: Any) -> bool:
    fired = _fire_instance(*args, **kwargs)
    # Everything of this instance's firing is in the open transaction (workflow, timers, history, outbox
    # rows) and its rows stay locked until the process dies.
    _hold()
    return fired


def _fire_notices_and_hold(s: Any, *args: Any, **kwargs: Any) -> notice_timers.Outcome:
    outcome = _fire_notices(s, *args, **kwargs)
    # The batch's timers, history and outbox rows are written, not committed; its instances stay locked.
    s.flush()
    _hold()
    return outcome


firing._fire_instance = _fire_and_hold
notice_timers.fire = _fire_notices_and_hold

if __name__ == "__main__":
    from web.cli import main

    main()
