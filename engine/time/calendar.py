"""Working time on the Russian production calendar: pure arithmetic on aware datetimes (no Flask, no DB).

Day types come from the `holidays` package (public holidays, transferred days off and working
weekends), overrides come from QMS, and the working periods of each weekday are configurable.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import holidays

Period = tuple[dt.time, dt.time]
NINE_TO_SIX: tuple[Period, ...] = ((dt.time(9), dt.time(18)),)
DEFAULT_WEEK: dict[int, tuple[Period, ...]] = {d: NINE_TO_SIX for d in range(5)}
PRE_HOLIDAY_CUT = dt.timedelta(hours=1)
_SUBSTITUTED = "Day off (substituted"
MAX_ANSWERS = 20_000  # answers a calendar keeps before it starts over
_UNKNOWN = object()


@dataclass(frozen=True)
class DayOverride:
    """What QMS says of one date: a working day (with its periods), a day off, or a shortened day."""

    day: dt.date
    kind: str  # "working" | "day_off" | "shortened"
    periods: tuple[Period, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Day:
    date: dt.date
    periods: tuple[Period, ...]
    reason: str
    shortened: bool = False
    provisional: bool = False

    @property
    def working(self) -> bool:
        return bool(self.periods)


@dataclass
class WorkCalendar:
    timezone: str = "Europe/Moscow"
    week: Mapping[int, tuple[Period, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    overrides: Mapping[dt.date, DayOverride] = field(default_factory=dict)
    country: str = "RU"

    def __post_init__(self) -> None:
        for weekday, periods in self.week.items():
            for start, end in periods:
                if not start < end:
                    raise ValueError(f"weekday {weekday}: a period must end after it starts ({start}-{end})")
            ordered = sorted(periods)
            if any(a[1] > b[0] for a, b in itertools.pairwise(ordered)):
                raise ValueError(f"weekday {weekday}: periods overlap")
        self._days: dict[dt.date, Day] = {}
        # Like the day types, what follows from them is worked out once per calendar: a calendar does not
        # change once made (QMS's overrides make a new one). Timer expressions ask the same questions again
        # and again (each complaint's plan, then each timer as it is armed, from the same moments).
        self._moments: dict[dt.date, tuple[tuple[dt.datetime, dt.datetime], ...]] = {}
        self._answers: dict[tuple[Any, ...], Any] = {}

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country, language="en_US")

    @cached_property
    def _standard_day(self) -> tuple[Period, ...]:
        return next((self.week[d] for d in range(7) if self.week.get(d)), NINE_TO_SIX)

    # --- day types -------------------------------------------------------------------------
    def provisional(self, year: int) -> bool:
        """True when the data carries no government transfer decree for `year` (statutory holidays only)."""
        _ = dt.date(year, 1, 1) in self._holidays  # makes the package compute that year
        has_transfers = any(d.year == year for d in self._holidays.weekend_workdays) or any(
            d.year == year and _SUBSTITUTED in name for d, name in self._holidays.items())
        return not has_transfers

    def _public_holiday(self, d: dt.date) -> bool:
        name = self._holidays.get(d)
        return bool(name) and _SUBSTITUTED not in name

    def _statutory_working(self, d: dt.date) -> bool:
        if d in self._holidays:
            return False
        return d in self._holidays.weekend_workdays or bool(self.week.get(d.weekday()))

    def _pre_holiday(self, d: dt.date) -> bool:
        """Labour Code art. 95: the working day before a holiday is one hour shorter. A working weekend
        before a run of days off that holds a holiday counts too (as the government's calendars do)."""
        nxt = d + dt.timedelta(days=1)
        if self._public_holiday(nxt):
            return True
        if d not in self._holidays.weekend_workdays:
            return False
        while not self._statutory_working(nxt) and (nxt - d).days < 15:
            if self._public_holiday(nxt):
                return True
            nxt += dt.timedelta(days=1)
        return False

    def day(self, d: dt.date) -> Day:
        if d not in self._days:
            self._days[d] = self._classify(d)
        return self._days[d]

    def _classify(self, d: dt.date) -> Day:
        provisional = self.provisional(d.year)
        override = self.overrides.get(d)
        if override is not None:
            if override.kind == "day_off":
                return Day(d, (), f"override: {override.note or 'day off'}", provisional=provisional)
            periods = override.periods or self._standard_day
            return Day(d, periods, f"override: {override.note or override.kind}",
                       shortened=override.kind == "shortened", provisional=provisional)
        if d in self._holidays:
            return Day(d, (), str(self._holidays[d]), provisional=provisional)
        if d in self._holidays.weekend_workdays:
            periods, reason = self._standard_day, "transferred working day"
        else:
            periods, reason = tuple(self.week.get(d.weekday(), ())), "weekday" if d.weekday() < 5 else "weekend"
        if periods and self._pre_holiday(d):
            return Day(d, _cut(periods, PRE_HOLIDAY_CUT), "pre-holiday day", True, provisional)
        return Day(d, periods, reason, provisional=provisional)

    def warm(self, today: dt.date) -> None:
        """Compute the holiday data of the years around `today` now (the package builds a year on first use)."""
        for year in (today.year - 1, today.year, today.year + 1):
            self.provisional(year)

    def is_working_day(self, d: dt.date) -> bool:
        return self.day(d).working

    # --- arithmetic ----------------------------------------------------------------------------
    def _intervals(self, d: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        found = self._moments.get(d)
        if found is None:
            found = self._moments[d] = tuple((dt.datetime.combine(d, a, self.tz), dt.datetime.combine(d, b, self.tz))
                                             for a, b in self.day(d).periods)
        return found

    def _answer(self, question: tuple[Any, ...], work: Callable[[], Any]) -> Any:
        """The answer to a question asked before (aware moments are equal, and hash alike, by instant)."""
        answer = self._answers.get(question, _UNKNOWN)  # one look: another thread may clear it meanwhile
        if answer is not _UNKNOWN:
            return answer
        answer = work()
        if len(self._answers) >= MAX_ANSWERS:
            self._answers.clear()
        self._answers[question] = answer
        return answer

    def _days_from(self, d: dt.date, limit: int = 3660) -> Iterable[dt.date]:
        for i in range(limit):
            yield d + dt.timedelta(days=i)

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment when `hours` of working time have passed after `start`."""
        _aware(start)
        if hours < 0:
            raise ValueError("hours must not be negative")
        return self._answer(("hours", start, hours), lambda: self._add_working_hours(start, hours))

    def _add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        left = dt.timedelta(hours=hours)
        local = start.astimezone(self.tz)
        for d in self._days_from(local.date()):
            for a, b in self._intervals(d):
                begin = max(a, local)
                if begin >= b:
                    continue
                if begin + left <= b:
                    return (begin + left).astimezone(dt.UTC)
                left -= b - begin
        raise ValueError("no working time found within ten years")

    def nth_working_day_after(self, start: dt.datetime, days: int) -> dt.date:
        _aware(start)
        if days < 1:
            raise ValueError("days must be at least 1")
        return self._answer(("days", start, days), lambda: self._nth_working_day_after(start, days))

    def _nth_working_day_after(self, start: dt.datetime, days: int) -> dt.date:
        count = 0
        for d in self._days_from(start.astimezone(self.tz).date() + dt.timedelta(days=1)):
            if self.is_working_day(d):
                count += 1
                if count == days:
                    return d
        raise ValueError("no working day found within ten years")

    def end_of_working_day(self, start: dt.datetime, days: int) -> dt.datetime:
        """End of the `days`-th working day after the day of `start` ("within N working days, not
        counting the day of receipt"); from a non-working day the count starts at the next working day."""
        d = self.nth_working_day_after(start, days)
        return self._intervals(d)[-1][1].astimezone(dt.UTC)

    def end_of_day(self, d: dt.date) -> dt.datetime:
        """End of working hours on `d`, or of the last working day before it when `d` is a day off."""
        while not self.is_working_day(d):
            d -= dt.timedelta(days=1)
        return self._intervals(d)[-1][1].astimezone(dt.UTC)

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        _aware(a)
        _aware(b)
        if b <= a:
            return dt.timedelta(0)
        return self._answer(("between", a, b), lambda: self._working_time_between(a, b))

    def _working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        total = dt.timedelta(0)
        la, lb = a.astimezone(self.tz), b.astimezone(self.tz)
        for d in self._days_from(la.date(), (lb.date() - la.date()).days + 1):
            for start, end in self._intervals(d):
                lo, hi = max(start, la), min(end, lb)
                if hi > lo:
                    total += hi - lo
        return total

    def fraction_of(self, start: dt.datetime, due: dt.datetime, fraction: float) -> dt.datetime:
        """The moment when `fraction` of the working time between `start` and `due` has passed."""
        span = self.working_time_between(start, due)
        return self.add_working_hours(start, span.total_seconds() * fraction / 3600)


def _aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got {moment.isoformat()}")


def _cut(periods: tuple[Period, ...], cut: dt.timedelta) -> tuple[Period, ...]:
    """Shorten the day by `cut` from the end of its last periods."""
    out = list(periods)
    while cut > dt.timedelta(0) and out:
        a, b = out[-1]
        length = dt.datetime.combine(dt.date.min, b) - dt.datetime.combine(dt.date.min, a)
        if length > cut:
            out[-1] = (a, (dt.datetime.combine(dt.date.min, b) - cut).time())
            cut = dt.timedelta(0)
        else:
            out.pop()
            cut -= length
    return tuple(out)
