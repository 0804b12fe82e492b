"""Builds the scheduler's tick around an application context and wires it to the engine."""
from __future__ import annotations

import threading

from flask import Flask

from engine.time.scheduler import TimerScheduler


def build_scheduler(app: Flask) -> TimerScheduler:
    engine = app.extensions["complaint_engine"]
    lock = threading.Lock()

    def tick() -> list[str]:
        with lock, app.app_context():
            return engine.fire_due_timers()

    def pending() -> list:
        with app.app_context():
            return engine.pending_timer_dues()

    deliver_lock = threading.Lock()

    def deliver() -> dict:
        with deliver_lock, app.app_context():
            return engine.deliver_outbox()

    scheduler = TimerScheduler(tick, pending, app.config["SCHEDULER_POLL_SECONDS"],
                               {"outbox": (deliver, app.config["OUTBOX_POLL_SECONDS"])})
    engine.on_timer_armed = scheduler.arm
    return scheduler
