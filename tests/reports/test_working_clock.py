"""The reports' working clock gives the calendar's working time for any pair, only faster."""
from __future__ import annotations

import datetime as dt
import random

from engine.reports.figures import WorkingClock
from engine.time.calendar import DayOverride, WorkCalendar
from tests.reports.october import MSK


def test_the_working_clock_agrees_with_the_calendar_across_holidays_and_overrides() -> None:
    shortened = DayOverride(dt.date(2026, 12, 30), "shortened", ((dt.time(9), dt.time(13)),))
    calendar = WorkCalendar(overrides={shortened.day: shortened})
    clock, rnd = WorkingClock(calendar), random.Random(3)
    start = dt.datetime(2026, 12, 1, tzinfo=MSK)
    for _ in range(400):
        a = start + dt.timedelta(minutes=rnd.randrange(60 * 24 * 60))
        b = a + dt.timedelta(minutes=rnd.randrange(60 * 24 * 30))
        a, b = (a, b) if rnd.random() < 0.9 else (b, a)
        assert clock.between(a, b) == calendar.working_time_between(a, b), (a, b)
