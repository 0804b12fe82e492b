"""APScheduler as the alarm clock for timers: one exact wake-up, for the earliest timer due, plus a safety poll.

The timer table stays the source of truth; this only decides *when* to call `tick`. One wake-up is set at a time:
arming a timer due later than the one set changes nothing (no job, no wake of the scheduler's thread), and each
tick sets the next from the table. A request that arms a timer used to add a job per due moment, thousands of
them with a big backlog, each waking the scheduler's thread in the middle of the request. `tick` is built by
the web layer around an application context, so this module knows nothing of Flask.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)
WAKE_AFTER_DUE = dt.timedelta(milliseconds=50)
WAKE_JOB = "due-next"
STALE_WAKE = dt.timedelta(seconds=1)


class TimerScheduler:
    def __init__(self, tick: Callable[[], object], next_due: Callable[[dt.datetime], dt.datetime | None],
                 poll_seconds: float = 5.0,
                 periodic: dict[str, tuple[Callable[[], object], float]] | None = None,
                 cron: dict[str, tuple[Callable[[], object], str]] | None = None, timezone: str = "UTC") -> None:
        self._tick, self._next_due, self._poll = tick, next_due, poll_seconds
        self._lock = threading.Lock()
        self._ticking = threading.Lock()  # one tick at a time, whether a wake-up or the poll runs it
        self._wake_at: dt.datetime | None = None  # the one exact wake-up set and not yet begun
        self._periodic = periodic or {}
        # Cron jobs (crontab strings in the company's time zone) run in every scheduler process: each job
        # claims its period in the database, so only one process does the work, once.
        self._cron = {name: (job, CronTrigger.from_crontab(spec, timezone=timezone))
                      for name, (job, spec) in (cron or {}).items()}
        self._scheduler = BackgroundScheduler(timezone=dt.UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)

    def _run(self, job: Callable[[], object] | None = None) -> None:
        try:
            (job or self._tick)()
        except Exception:
            # The poll must survive any single failure; the next run tries again.
            log.exception("scheduled job failed")

    def arm(self, due_at: dt.datetime) -> None:
        """Wake a moment after `due_at` (the engine compares strictly), unless a wake-up at or before then is
        set: its tick fires this timer too, or sets the next wake-up for it. A timer already due wakes at once."""
        now = dt.datetime.now(dt.UTC)
        run_at = max(due_at + WAKE_AFTER_DUE, now)
        with self._lock:
            # A wake-up long past that never began (its job lost) no longer counts.
            if self._wake_at is not None and now - self._wake_at < STALE_WAKE and self._wake_at <= run_at:
                return
            self._wake_at = run_at
            # Two may run at once (their ticks take turns): a wake-up set for a moment
            # that comes while the previous one still ticks must not be skipped as "already running".
            self._scheduler.add_job(self._wake, "date", run_date=run_at, id=WAKE_JOB, replace_existing=True,
                                    max_instances=2)

    def _skipped(self, event: JobSubmissionEvent) -> None:
        """APScheduler skipped (and dropped) a wake-up because two were still running: it is not set any more.
        Those two each tick and set the next one after; arms made meanwhile must not count on the skipped one."""
        if event.job_id == WAKE_JOB:
            with self._lock:
                self._wake_at = None

    def _wake(self) -> None:
        with self._lock:
            self._wake_at = None  # spent: an arm from now on sets the next one
        self._tick_and_arm_next()

    def _tick_and_arm_next(self) -> None:
        """Tick, then set the wake-up for the next timer due after the tick began. One that is due already and
        still pending (its workflow does not fire it yet, another process holds it) is left to the poll. The
        moment is taken once this tick has its turn: one that waited behind another must not count from before."""
        with self._ticking:
            began = dt.datetime.now(dt.UTC)
            self._run()
        try:
            following = self._next_due(began)
        except Exception:
            log.exception("reading the next due timer failed")  # the poll runs on and tries again
            return
        if following is not None:
            self.arm(following)

    def start(self) -> None:
        """Set the wake-up for the next pending timer and fire at once whatever fell due while nothing was running."""
        # The poll also sets the wake-up for timers other processes armed (web workers have no scheduler).
        self._scheduler.add_job(self._tick_and_arm_next, "interval", seconds=self._poll, id="poll",
                                next_run_time=dt.datetime.now(dt.UTC), replace_existing=True)
        for name, (job, seconds) in self._periodic.items():
            self._scheduler.add_job(self._run, "interval", args=[job], seconds=seconds, id=name,
                                    next_run_time=dt.datetime.now(dt.UTC), replace_existing=True)
        for name, (job, trigger) in self._cron.items():
            # Once at start as well: a run missed while nothing was running happens now (each job knows
            # whether its period is already done), then on its schedule.
            self._scheduler.add_job(self._run, trigger, args=[job], id=name, replace_existing=True,
                                    next_run_time=dt.datetime.now(dt.UTC))
        following = self._next_due(dt.datetime.now(dt.UTC))  # what is due already, the poll's first run fires
        if following is not None:
            self.arm(following)
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
