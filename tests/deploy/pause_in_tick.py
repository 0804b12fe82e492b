"""Runs `complaint-desk` with the timer tick held open: the first instance it fires is written but never
committed, so a test can kill the process in the middle of a tick (env PAUSE_MARKER names the file that
says it is there)."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from engine.time import use_cases

_fire_instance = use_cases._fire_instance


def _fire_and_hold(*args: Any, **kwargs: Any) -> bool:
    fired = _fire_instance(*args, **kwargs)
    # Everything of this instance's firing is in the open transaction (workflow, timers, history, outbox
    # rows) and its rows stay locked until the process dies.
    Path(os.environ["PAUSE_MARKER"]).write_text(str(os.getpid()))
    threading.Event().wait()
    return fired


use_cases._fire_instance = _fire_and_hold

if __name__ == "__main__":
    from web.cli import main

    main()
