"""APScheduler as the alarm clock for timers: an exact wake-up per armed timer plus a safety poll.

The timer table stays the source of truth; this only decides *when* to call `tick`. `tick` is built by
the web layer around an application context, so this module knows nothing of Flask.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)
WAKE_AFTER_DUE = dt.timedelta(milliseconds=50)


class TimerScheduler:
    def __init__(self, tick: Callable[[], object], pending: Callable[[], list[dt.datetime]],
                 poll_seconds: float = 5.0,
                 periodic: dict[str, tuple[Callable[[], object], float]] | None = None,
                 cron: dict[str, tuple[Callable[[], object], str]] | None = None, timezone: str = "UTC") -> None:
        self._tick, self._pending, self._poll = tick, pending, poll_seconds
        self._periodic = periodic or {}
        # Cron jobs (crontab strings in the company's time zone) run in every scheduler process: each job
        # claims its period in the database, so only one process does the work, once.
        self._cron = {name: (job, CronTrigger.from_crontab(spec, timezone=timezone))
                      for name, (job, spec) in (cron or {}).items()}
        self._scheduler = BackgroundScheduler(timezone=dt.UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def _run(self, job: Callable[[], object] | None = None) -> None:
        try:
            (job or self._tick)()
        except Exception:
            # The poll must survive any single failure; the next run tries again.
            log.exception("scheduled job failed")

    def arm(self, due_at: dt.datetime) -> None:
        """Wake exactly when a timer falls due (a moment after: the engine compares strictly)."""
        now = dt.datetime.now(dt.UTC)
        run_at = max(due_at + WAKE_AFTER_DUE, now)
        # Every timer already due shares one wake-up: a tick fires them all, and a backlog of thousands must not
        # queue thousands of ticks ahead of the timers that fall due next.
        job_id = "due-now" if run_at == now else f"due-{run_at.isoformat()}"
        self._scheduler.add_job(self._run, "date", run_date=run_at, id=job_id, replace_existing=True)

    def start(self) -> None:
        """Re-arm every pending timer and fire at once whatever fell due while nothing was running."""
        self._scheduler.add_job(self._run, "interval", seconds=self._poll, id="poll",
                                next_run_time=dt.datetime.now(dt.UTC), replace_existing=True)
        for name, (job, seconds) in self._periodic.items():
            self._scheduler.add_job(self._run, "interval", args=[job], seconds=seconds, id=name,
                                    next_run_time=dt.datetime.now(dt.UTC), replace_existing=True)
        for name, (job, trigger) in self._cron.items():
            # Once at start as well: a run missed while nothing was running happens now (each job knows
            # whether its period is already done), then on its schedule.
            self._scheduler.add_job(self._run, trigger, args=[job], id=name, replace_existing=True,
                                    next_run_time=dt.datetime.now(dt.UTC))
        now = dt.datetime.now(dt.UTC)
        for due_at in self._pending():
            if due_at + WAKE_AFTER_DUE > now:  # what is due already, the poll's first run fires
                self.arm(due_at)
        self._scheduler.start()

    def shutdown(self, wait: bool = False) -> None:
        """Stop; `wait`: until the jobs running now end (a tick runs on past a shutdown that does not wait)."""
        self._scheduler.shutdown(wait=wait)

    def next_cron_runs(self, after: dt.datetime) -> dict[str, dt.datetime]:
        """When each cron job fires next after `after` (what the schedule says, without starting it)."""
        return {name: trigger.get_next_fire_time(None, after) for name, (_job, trigger) in self._cron.items()}

    @property
    def jobs(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()]
