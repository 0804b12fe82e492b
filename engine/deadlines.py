"""The calendar as diagrams see it: helper functions for timer expressions, and the current calendar."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.calendar import DayOverride, Period, WorkCalendar
from models import CalendarOverride


def parse_moment(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value)
    else:
        raise ValueError(f"expected an ISO date-time string, got {value!r}")
    if moment.tzinfo is None:
        raise ValueError(f"the date-time {value} has no UTC offset")
    return moment


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def helpers(calendar: Callable[[], WorkCalendar]) -> dict[str, Callable[..., str]]:
    """Functions a `timeDate` expression may call; each returns an ISO string with an offset."""

    def working_hours_after(start: str, hours: float) -> str:
        return iso(calendar().add_working_hours(parse_moment(start), float(hours)))

    def working_days_after(start: str, days: int) -> str:
        return iso(calendar().end_of_working_day(parse_moment(start), int(days)))

    def end_of_date(day: str) -> str:
        return iso(calendar().end_of_day(dt.date.fromisoformat(str(day)[:10])))

    def working_fraction(start: str, due: str, fraction: float) -> str:
        return iso(calendar().fraction_of(parse_moment(start), parse_moment(due), float(fraction)))

    return {"working_hours_after": working_hours_after, "working_days_after": working_days_after,
            "end_of_date": end_of_date, "working_fraction": working_fraction}


def _periods(raw: list[Any]) -> tuple[Period, ...]:
    return tuple((dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in raw)


class CalendarSource:
    """Builds the working calendar from settings plus the overrides in the database, rebuilt when they change."""

    def __init__(self, session: Session, timezone: str, week: Mapping[int, tuple[Period, ...]]) -> None:
        self.session, self.timezone, self.week = session, timezone, dict(week)
        self._stamp: tuple[Any, ...] | None = None
        self._calendar = WorkCalendar(timezone, self.week)

    def current(self) -> WorkCalendar:
        stamp = tuple(self.session.execute(
            select(func.count(CalendarOverride.id), func.max(CalendarOverride.updated_at))).one())
        if stamp != self._stamp:
            overrides = {o.day: DayOverride(o.day, o.kind, _periods(o.periods), o.note)
                         for o in self.session.scalars(select(CalendarOverride))}
            self._calendar = WorkCalendar(self.timezone, self.week, overrides)
            self._stamp = stamp
        return self._calendar
