"""The timer scheduler keeps one exact wake-up, for the earliest timer due, and each tick sets the next one."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from engine.time.scheduler import WAKE_AFTER_DUE, WAKE_JOB, TimerScheduler

NOW = dt.datetime(2025, 11, 24, 9, 0, tzinfo=dt.UTC)


class Table:
    """What the timer table answers: the pending due moments."""

    def __init__(self, *dues: dt.datetime) -> None:
        self.dues, self.asked, self.ticks = list(dues), [], 0

    def next_due(self, after: dt.datetime) -> dt.datetime | None:
        self.asked.append(after)
        later = [d for d in self.dues if d > after]
        return min(later) if later else None

    def tick(self) -> None:
        self.ticks += 1
        self.dues = [d for d in self.dues if d >= dt.datetime.now(dt.UTC)]  # what fell due fired


def wake_ups(scheduler: TimerScheduler) -> list[tuple[str, dt.datetime]]:
    return [(job.id, job.next_run_time) for job in scheduler._scheduler.get_jobs() if job.id.startswith("due-")]


@pytest.fixture
def paused() -> Any:
    """Schedulers whose APScheduler runs paused: jobs are stored and replaced as when running, none is run."""
    made: list[TimerScheduler] = []

    def make(*args: Any, **kwargs: Any) -> TimerScheduler:
        scheduler = TimerScheduler(*args, **kwargs)
        scheduler._scheduler.start(paused=True)
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.shutdown(wait=True)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_later_timer_sets_no_second_wake_up_and_an_earlier_one_moves_it(clock: Any, paused: Any) -> None:
    table = Table()
    scheduler = paused(table.tick, table.next_due)
    scheduler.arm(NOW + dt.timedelta(hours=1))
    for minutes in (61, 90, 600):
        scheduler.arm(NOW + dt.timedelta(minutes=minutes))
    assert wake_ups(scheduler) == [(WAKE_JOB, NOW + dt.timedelta(hours=1) + WAKE_AFTER_DUE)]
    scheduler.arm(NOW + dt.timedelta(minutes=30))
    assert wake_ups(scheduler) == [(WAKE_JOB, NOW + dt.timedelta(minutes=30) + WAKE_AFTER_DUE)]


def test_a_timer_already_due_wakes_at_once(clock: Any, paused: Any) -> None:
    scheduler = paused(lambda: None, lambda _after: None)
    scheduler.arm(NOW + dt.timedelta(hours=1))
    scheduler.arm(NOW - dt.timedelta(hours=3))
    assert wake_ups(scheduler) == [(WAKE_JOB, NOW)]


def test_each_wake_up_ticks_then_sets_the_next_from_the_table(clock: Any, paused: Any) -> None:
    first, second = NOW + dt.timedelta(minutes=5), NOW + dt.timedelta(hours=2)
    table = Table(first, second)
    scheduler = paused(table.tick, table.next_due)
    scheduler.arm(first)
    clock.move_to(first + WAKE_AFTER_DUE)
    scheduler._wake()
    assert table.ticks == 1
    assert table.asked == [first + WAKE_AFTER_DUE]  # what fell due after the tick began, not before
    assert wake_ups(scheduler) == [(WAKE_JOB, second + WAKE_AFTER_DUE)]


def test_a_timer_armed_while_a_wake_up_ticks_gets_its_own(clock: Any, paused: Any) -> None:
    """The wake-up that is running is spent: a timer armed meanwhile is not taken as covered by it."""
    table = Table()
    scheduler = paused(table.tick, table.next_due)
    scheduler.arm(NOW)
    armed_meanwhile = NOW + dt.timedelta(seconds=30)

    def tick() -> None:
        scheduler.arm(armed_meanwhile)

    scheduler._tick = tick
    scheduler._wake()
    assert wake_ups(scheduler) == [(WAKE_JOB, armed_meanwhile + WAKE_AFTER_DUE)]


def test_a_wake_up_that_never_began_stops_holding_back_new_ones(clock: Any, paused: Any) -> None:
    scheduler = paused(lambda: None, lambda _after: None)
    scheduler.arm(NOW + dt.timedelta(seconds=10))
    scheduler._scheduler.remove_job(WAKE_JOB)  # lost, say, with a scheduler restarted under it
    clock.move_to(NOW + dt.timedelta(minutes=1))
    scheduler.arm(NOW + dt.timedelta(minutes=20))
    assert wake_ups(scheduler) == [(WAKE_JOB, NOW + dt.timedelta(minutes=20) + WAKE_AFTER_DUE)]


def test_a_failing_read_of_the_next_due_leaves_the_poll_to_it(clock: Any, paused: Any, monkeypatch: Any) -> None:
    from engine.time import scheduler as module

    def broken(_after: dt.datetime) -> dt.datetime | None:
        raise RuntimeError("database away")

    logged: list[str] = []
    # The module's own logger, whatever the app's logging set up elsewhere in the run does with propagation.
    monkeypatch.setattr(module.log, "exception", lambda message, *args: logged.append(message % args))
    ticks: list[int] = []
    scheduler = paused(lambda: ticks.append(1), broken)
    scheduler._tick_and_arm_next()
    assert ticks == [1] and wake_ups(scheduler) == []
    assert logged == ["reading the next due timer failed"]


def test_start_sets_one_wake_up_for_the_earliest_future_timer(clock: Any) -> None:
    dues = [NOW - dt.timedelta(hours=1)] + [NOW + dt.timedelta(minutes=m) for m in (45, 10, 300)]
    table = Table(*dues)
    scheduler = TimerScheduler(table.tick, table.next_due, poll_seconds=3600)
    scheduler._scheduler.start(paused=True)  # start() adds its jobs to a paused scheduler: none runs here
    scheduler._scheduler.start = lambda: None  # type: ignore[method-assign]
    try:
        scheduler.start()
        assert table.asked == [NOW]
        assert wake_ups(scheduler) == [(WAKE_JOB, NOW + dt.timedelta(minutes=10) + WAKE_AFTER_DUE)]
        assert "poll" in scheduler.jobs
    finally:
        scheduler.shutdown(wait=True)


def test_a_wake_up_skipped_because_two_still_run_holds_nothing_back(clock: Any, paused: Any) -> None:
    """APScheduler drops a date job it skips for `max_instances`: the wake-up it was is gone, so the next arm
    sets one instead of counting on it."""
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent

    scheduler = paused(lambda: None, lambda _after: None)
    scheduler.arm(NOW + dt.timedelta(milliseconds=100))
    scheduler._scheduler.remove_job(WAKE_JOB)  # what APScheduler does with a date job it skips
    scheduler._scheduler._dispatch_event(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, WAKE_JOB, "default",
                                                            [NOW + WAKE_AFTER_DUE]))
    scheduler.arm(NOW + dt.timedelta(seconds=5))
    assert wake_ups(scheduler) == [(WAKE_JOB, NOW + dt.timedelta(seconds=5) + WAKE_AFTER_DUE)]


def test_the_next_due_comes_from_the_timer_table(engine: Any, register: Any) -> None:
    """What a wake-up reads: the earliest pending due moment strictly after the one given, as an aware moment,
    on SQLite (integer moments) as on PostgreSQL."""
    from sqlalchemy import select

    from models import Timer, db

    with time_machine.travel(dt.datetime(2025, 11, 24, 6, 0, tzinfo=dt.UTC), tick=False):
        number = register()
    dues = sorted(db.session.scalars(select(Timer.due_at).where(Timer.business_key == number,
                                                                Timer.status == "pending")))
    assert len(dues) >= 2
    first = engine.next_timer_due(dt.datetime(2025, 11, 24, 6, 0, tzinfo=dt.UTC))
    assert first == dues[0] and first.utcoffset() == dt.timedelta(0)
    assert engine.next_timer_due(dues[0]) == next(d for d in dues if d > dues[0])
    assert engine.next_timer_due(dues[-1]) is None


def test_a_tick_that_waited_for_another_counts_from_its_own_turn(clock: Any, paused: Any) -> None:
    """Ticks take turns; the one that waited asks for what falls due after *its* tick began, not after the
    moment it started waiting (that would hand it back timers already due, for one more tick at once)."""
    import threading

    table = Table()
    first_ticking, let_first_end, second_waiting = threading.Event(), threading.Event(), threading.Event()
    ticks: list[dt.datetime] = []

    def tick() -> None:
        ticks.append(dt.datetime.now(dt.UTC))
        if len(ticks) == 1:
            first_ticking.set()
            assert let_first_end.wait(10)

    scheduler = paused(tick, table.next_due)
    turn = scheduler._ticking

    class Watched:
        """The scheduler's turn lock, saying when someone starts waiting for it."""

        def __enter__(self) -> None:
            if first_ticking.is_set():
                second_waiting.set()
            turn.acquire()

        def __exit__(self, *_exc: Any) -> None:
            turn.release()

    scheduler._ticking = Watched()
    first = threading.Thread(target=scheduler._tick_and_arm_next)
    first.start()
    assert first_ticking.wait(10)
    second = threading.Thread(target=scheduler._tick_and_arm_next)
    second.start()
    assert second_waiting.wait(10)
    clock.move_to(NOW + dt.timedelta(seconds=3))  # the first tick runs on while the second waits
    let_first_end.set()
    first.join(10)
    second.join(10)
    assert ticks == [NOW, NOW + dt.timedelta(seconds=3)]
    assert sorted(table.asked) == [NOW, NOW + dt.timedelta(seconds=3)]
