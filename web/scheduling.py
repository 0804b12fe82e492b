"""Builds the scheduler's tick around an application context and wires it to the engine."""
from __future__ import annotations

import datetime as dt
import threading

from flask import Flask

from engine.time.scheduler import TimerScheduler


def build_scheduler(app: Flask) -> TimerScheduler:
    engine = app.extensions["complaint_engine"]
    def tick() -> list[str]:  # the scheduler runs one at a time
        with app.app_context():
            return engine.fire_due_timers()

    def next_due(after: dt.datetime) -> dt.datetime | None:
        with app.app_context():
            return engine.next_timer_due(after)

    deliver_lock = threading.Lock()

    def deliver() -> dict:
        with deliver_lock, app.app_context():
            return engine.deliver_outbox()

    def appeal_reminders() -> list[str]:
        with app.app_context():
            return engine.send_appeal_reminders()

    def corrective_overdue() -> list[int]:
        with app.app_context():
            return engine.notify_overdue_corrective_tasks()

    def weekly_digest() -> str | None:
        with app.app_context():
            return engine.send_weekly_digest()

    def monthly_report() -> str | None:
        with app.app_context():
            return engine.send_monthly_report(list(app.config["MONTHLY_REPORT_RECIPIENTS"]))

    def retention() -> dict | None:
        with app.app_context():
            return engine.apply_retention()

    scheduler = TimerScheduler(tick, next_due, app.config["SCHEDULER_POLL_SECONDS"],
                               {"outbox": (deliver, app.config["OUTBOX_POLL_SECONDS"]),
                                "appeal-reminders": (appeal_reminders, app.config["REMINDER_POLL_SECONDS"]),
                                "corrective-overdue": (corrective_overdue, app.config["REMINDER_POLL_SECONDS"])},
                               cron={"weekly-digest": (weekly_digest, app.config["WEEKLY_DIGEST_CRON"]),
                                     "monthly-report": (monthly_report, app.config["MONTHLY_REPORT_CRON"]),
                                     "privacy-retention": (retention, app.config["PRIVACY_RETENTION_CRON"])},
                               timezone=app.config["TIMEZONE"])
    engine.on_timer_armed = scheduler.arm
    return scheduler
