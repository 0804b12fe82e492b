"""What a long-running process (the server, a gunicorn worker, the scheduler) does once it has started.

Python's cyclic garbage collector stops every thread while a full collection walks every object it tracks.
Start-up leaves a couple of hundred thousand of them (modules, mappers, templates, the deployed process
specs) that live as long as the process: walking them again at every full collection only lengthens the pause
that delays a request or a timer falling due. Once started, a process collects what start-up left behind and
moves the rest out of the collector's sight (`gc.freeze`). What it allocates afterwards is collected as usual.
"""
from __future__ import annotations

import gc


def settle_after_start() -> int:
    """Collect start-up's garbage, then freeze what is left; returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
