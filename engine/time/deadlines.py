"""The calendar as diagrams see it: helper functions for timer expressions, and the current calendar."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.bounds import ScriptLimitExceeded
from engine.messages import Message
from engine.time.calendar import DayOverride, Period, WorkCalendar
from models import CalendarOverride, Department, DepartmentCalendar


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


# The department whose calendar the timer expressions of the instance being run use (None = company's).
ACTIVE_DEPARTMENT: ContextVar[str | None] = ContextVar("active_department", default=None)


@contextmanager
def department_calendar(code: str | None) -> Iterator[None]:
    token = ACTIVE_DEPARTMENT.set(code)
    try:
        yield
    finally:
        ACTIVE_DEPARTMENT.reset(token)


class CalendarSource:
    """Builds the working calendars from settings plus the database (QMS overrides, department calendars),
    rebuilt when they change.

    The database is checked at most every `RECHECK_SECONDS`: a change saved by another process is seen
    within that time, one saved through this engine at once (`invalidate`). `current()` is the calendar
    of the department in `ACTIVE_DEPARTMENT`, or the company's."""

    RECHECK_SECONDS = 2.0

    def __init__(self, session: Session, timezone: str, week: Mapping[int, tuple[Period, ...]]) -> None:
        self.session, self.timezone, self.week = session, timezone, dict(week)
        self._stamp: tuple[Any, ...] | None = None
        self._checked_at = float("-inf")
        self._calendar = WorkCalendar(timezone, self.week)
        self._departments: dict[str, WorkCalendar] = {}
        self._held = False

    def invalidate(self) -> None:
        self._checked_at, self._stamp = float("-inf"), None

    def hold(self, today: dt.date) -> None:
        """At the start of a transaction: read the calendars now and keep them until `release`. Diagram
        scripts call the calendar under their CPU and wall-clock limits; a database look-up or the holiday
        data's first computation (an import, in a fresh worker) inside a script could run past those limits on
        a loaded machine and open a false incident, so both happen here, outside any script."""
        self._refresh()
        for calendar in (self._calendar, *self._departments.values()):
            calendar.warm(today)
        self._held = True

    def release(self) -> None:
        self._held = False

    def current(self) -> WorkCalendar:
        return self.of_department(ACTIVE_DEPARTMENT.get())

    def company(self) -> WorkCalendar:
        return self.of_department(None)

    def of_department(self, code: str | None) -> WorkCalendar:
        self._refresh()
        return self._departments.get(code, self._calendar) if code else self._calendar

    def _refresh(self) -> None:
        if self._held and self._stamp is not None:  # held for this transaction, unless invalidated in it
            return
        if time.monotonic() - self._checked_at < self.RECHECK_SECONDS:
            return
        self._checked_at = time.monotonic()
        stamp = tuple(self.session.execute(select(
            select(func.count(CalendarOverride.id)).scalar_subquery(),
            select(func.max(CalendarOverride.updated_at)).scalar_subquery(),
            select(func.count(DepartmentCalendar.department_id)).scalar_subquery(),
            select(func.max(DepartmentCalendar.updated_at)).scalar_subquery())).one())
        if stamp == self._stamp:
            return
        overrides = {o.day: DayOverride(o.day, o.kind, _periods(o.periods), o.note)
                     for o in self.session.scalars(select(CalendarOverride))}
        self._calendar = WorkCalendar(self.timezone, self.week, overrides)
        self._departments = {}
        for own, code in self.session.execute(select(DepartmentCalendar, Department.code).join(
                Department, Department.id == DepartmentCalendar.department_id)):
            # The region's holidays are days off on top of the company's overrides.
            days = {**overrides, **{dt.date.fromisoformat(d): DayOverride(dt.date.fromisoformat(d), "day_off",
                                                                          (), note) for d, note in own.holidays}}
            self._departments[code] = WorkCalendar(own.timezone, self.week, days)
        self._stamp = stamp


def _timer_specs(deployed: Any) -> list[Any]:
    from engine.time.timers import deadline_timer_specs

    return deadline_timer_specs(deployed)


def what_if(deployed: Any, script_engine: Any, received_at: dt.datetime, calendar: WorkCalendar,
            fraction: float) -> dict[str, Any]:
    """Evaluate the diagrams' own deadline expressions for a registration at `received_at`; steps whose
    deadline depends on later facts (an agreed date, an implementation) are left out."""
    from engine.bpmn.steps import STEPS

    names = dict(STEPS)
    context = {"received_at": iso(parse_moment(received_at)), "warning_fraction": fraction}
    steps, goal = {}, None
    for spec in _timer_specs(deployed):
        props = spec.extensions.get("properties", {})
        try:
            due = parse_moment(script_engine.environment.evaluate(spec.event_definition.expression, dict(context)))
        except (Exception, ScriptLimitExceeded):
            continue
        if props.get("deadline") == "goal":
            goal = due
        elif props.get("deadline") == "breach":
            steps[props["step"]] = due
    moments = [received_at, *steps.values()]
    return {
        "received_at": iso(received_at), "timezone": calendar.timezone,
        "steps": [{"code": code, "name": names.get(code, code), "due_at": iso(due)}
                  for code, due in sorted(steps.items())],
        "goal_at": iso(goal) if goal else None,
        "provisional_years": sorted({m.astimezone(calendar.tz).year for m in moments
                                     if calendar.provisional(m.astimezone(calendar.tz).year)}),
    }


KINDS = ("working", "day_off", "shortened")


def _check_override(kind: str, periods: list[tuple[str, str]]) -> tuple[list[list[str]], dict[str, list[str]]]:
    problems: dict[str, list[str]] = {}
    if kind not in KINDS:
        problems["kind"] = [Message("Must be one of: {choices}.", choices=", ".join(KINDS))]
    clean: list[list[str]] = []
    for i, pair in enumerate(periods):
        try:
            a, b = (dt.time.fromisoformat(str(x)) for x in pair)
        except (TypeError, ValueError):
            problems[f"periods.{i}"] = [Message('Give a period as two times, e.g. ["09:00", "17:00"].')]
            continue
        if not a < b:
            problems[f"periods.{i}"] = [Message("A period must end after it starts.")]
        clean.append([a.isoformat("minutes"), b.isoformat("minutes")])
    if kind == "day_off" and periods:
        problems["periods"] = [Message("A day off has no working periods.")]
    if kind == "shortened" and not periods:
        problems["periods"] = [Message("Give the working periods of the shortened day.")]
    return clean, problems


def set_override(s: Session, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str, actor: str,
                 now: dt.datetime) -> CalendarOverride:
    from engine.errors import InvalidInput
    from models import AuditLog

    clean, problems = _check_override(kind, periods)
    if problems:
        raise InvalidInput("The calendar override has errors.", problems)
    row = s.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    before = None if row is None else {"kind": row.kind, "periods": row.periods, "note": row.note}
    if row is None:
        row = CalendarOverride(day=day)
        s.add(row)
    row.kind, row.periods, row.note, row.updated_by, row.updated_at = kind, clean, note, actor, now
    s.add(AuditLog(at=now, actor=actor, action="calendar_override_set", data={
        "day": day.isoformat(), "before": before, "after": {"kind": kind, "periods": clean, "note": note}}))
    s.flush()
    return row


def remove_override(s: Session, day: dt.date, actor: str, now: dt.datetime) -> None:
    from engine.errors import InvalidInput
    from models import AuditLog

    row = s.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        raise InvalidInput("No override on that day.", {"day": [Message("No override on {day}.", day=day.isoformat())]})
    s.add(AuditLog(at=now, actor=actor, action="calendar_override_removed", data={
        "day": day.isoformat(), "before": {"kind": row.kind, "periods": row.periods, "note": row.note}}))
    s.delete(row)
