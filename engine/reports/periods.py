"""Report periods: an ISO week or a calendar month in the company's time zone, as UTC bounds."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from engine.errors import InvalidInput
from engine.messages import Message

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `key` is what URLs carry (2026-11, 2026-W48); `first_day`/`last_day` are local."""

    key: str
    start: dt.datetime
    end: dt.datetime
    first_day: dt.date
    last_day: dt.date

    def contains(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def _bounds(key: str, first: dt.date, after: dt.date, tz: ZoneInfo) -> Period:
    start = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(after, dt.time(), tz).astimezone(dt.UTC)
    return Period(key, start, end, first, after - dt.timedelta(days=1))


def month(key: str, tz: ZoneInfo) -> Period:
    found = _MONTH.match(key or "")
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise InvalidInput("Bad month.", {"month": [Message("Give the month as YYYY-MM, e.g. 2026-11.")]})
    first = dt.date(int(found.group(1)), int(found.group(2)), 1)
    return _bounds(key, first, (first + dt.timedelta(days=32)).replace(day=1), tz)


def week(key: str, tz: ZoneInfo) -> Period:
    found = _WEEK.match(key or "")
    try:
        first = dt.date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1) if found else None
    except ValueError:
        first = None
    if first is None or first.year < 2000:
        raise InvalidInput("Bad week.", {"week": [Message("Give the ISO week as YYYY-Www, e.g. 2026-W48.")]})
    return _bounds(key, first, first + dt.timedelta(days=7), tz)


def month_of(moment: dt.datetime, tz: ZoneInfo, back: int = 0) -> Period:
    """The month holding `moment` (local), or the one `back` months before it."""
    local = moment.astimezone(tz).date().replace(day=1)
    for _ in range(back):
        local = (local - dt.timedelta(days=1)).replace(day=1)
    return month(f"{local:%Y-%m}", tz)


def week_of(moment: dt.datetime, tz: ZoneInfo, back: int = 0) -> Period:
    year, number, _day = (moment.astimezone(tz).date() - dt.timedelta(weeks=back)).isocalendar()
    return week(f"{year}-W{number:02d}", tz)


def year(number: int, tz: ZoneInfo) -> Period:
    return _bounds(str(number), dt.date(number, 1, 1), dt.date(number + 1, 1, 1), tz)
