"""Small arithmetic the reports share: percentages, medians, and the steps counted against their deadline."""
from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, and_, or_, select

from engine.reports.periods import Period
from models import Complaint, Deadline, Department, Responsible


def percent(part: int, whole: int) -> float | None:
    """0-100 with one decimal; None when there is nothing to divide (a report shows «—», not 0 %)."""
    return round(100.0 * part / whole, 1) if whole else None


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(statistics.median(present)), 1) if present else None


def hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60.0, 1)


def counted_steps(period: Period, now: dt.datetime) -> Select[Any]:
    """The stage-1 steps whose deadline fell in the period and that can already be judged.

    A step is counted in the month of its deadline, so it is counted once: on time when completed by the
    deadline; late when completed after it, or when it is still open and the deadline has passed. A step
    never done because stage 1 closed without it (e.g. 1.4 when the fix was given at once) is not counted.
    `trends.on_time_by_month` counts the same steps month by month.
    """
    judged_until = min(period.end, now)
    done = Deadline.completed_at.is_not(None)
    still_open = and_(Deadline.completed_at.is_(None), Deadline.due_at < judged_until,
                      Complaint.stage1_closed_at.is_(None))
    return (
        select(Deadline.step, Deadline.on_time, Deadline.completed_at, Deadline.due_at, Deadline.working_minutes,
               Department.code.label("department"), Complaint.responsible_id,
               Complaint.number)
        .join(Complaint, Complaint.number == Deadline.business_key)
        .outerjoin(Department, Department.id == Complaint.department_id)
        .where(Deadline.due_at >= period.start, Deadline.due_at < period.end, or_(done, still_open))
    )


def step_on_time(row: Any) -> bool:
    return bool(row.completed_at is not None and row.completed_at <= row.due_at)


def responsible_names(s: Any) -> dict[int, tuple[str, str]]:
    """Responsible id → (name, department code) for every responsible, active or not."""
    rows = s.execute(select(Responsible.id, Responsible.person_name, Responsible.position, Department.code)
                     .join(Department, Department.id == Responsible.department_id))
    return {r.id: (r.person_name or r.position, r.code) for r in rows}


class WorkingClock:
    """`working_time_between` for thousands of pairs: the working time of whole days is summed once per day
    (a running total from the first day asked about), so a pair costs two part-day computations."""

    def __init__(self, calendar: Any) -> None:
        self.calendar = calendar
        self._total: dict[dt.date, dt.timedelta] = {}  # working time from the first known day to this one's start
        self._first: dt.date | None = None
        self._last: dt.date | None = None

    def _start(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), self.calendar.tz)

    def _day(self, day: dt.date) -> dt.timedelta:
        return self.calendar.working_time_between(self._start(day), self._start(day + dt.timedelta(days=1)))

    def _before(self, day: dt.date) -> dt.timedelta:
        if self._first is None or self._last is None:
            self._first = self._last = day
            self._total[day] = dt.timedelta(0)
        while day > self._last:
            self._total[self._last + dt.timedelta(days=1)] = self._total[self._last] + self._day(self._last)
            self._last += dt.timedelta(days=1)
        while day < self._first:
            self._first -= dt.timedelta(days=1)
            self._total[self._first] = self._total[self._first + dt.timedelta(days=1)] - self._day(self._first)
        return self._total[day]

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        first, last = a.astimezone(self.calendar.tz).date(), b.astimezone(self.calendar.tz).date()
        if b <= a or first == last:
            return self.calendar.working_time_between(a, b)
        after_first = first + dt.timedelta(days=1)
        return (self.calendar.working_time_between(a, self._start(after_first))
                + self._before(last) - self._before(after_first)
                + self.calendar.working_time_between(self._start(last), b))


def closed_stage1(s: Any, period: Period, calendar: Any) -> list[dict[str, Any]]:
    """Complaints whose stage 1 closed in the period, with working hours to close and the 5/14-day marks
    (the goal and the limit of step 1.6, as planned when the complaint was registered)."""
    rows = s.execute(
        select(Complaint.number, Complaint.registered_at, Complaint.stage1_closed_at, Complaint.loyal,
               Complaint.satisfied, Complaint.compensation, Complaint.responsible_id,
               Department.code.label("department"), Deadline.goal_at, Deadline.due_at)
        .outerjoin(Department, Department.id == Complaint.department_id)
        .outerjoin(Deadline, and_(Deadline.business_key == Complaint.number, Deadline.step == "1.6"))
        .where(Complaint.stage1_closed_at >= period.start, Complaint.stage1_closed_at < period.end)
        .order_by(Complaint.stage1_closed_at))
    found, clock = [], WorkingClock(calendar)
    for r in rows:
        spent = clock.between(r.registered_at, r.stage1_closed_at)
        found.append({
            "number": r.number, "loyal": r.loyal, "satisfied": r.satisfied, "compensation": r.compensation,
            "responsible_id": r.responsible_id, "department": r.department,
            "hours_to_close": round(spent.total_seconds() / 3600, 2),
            "within_goal": r.goal_at is not None and r.stage1_closed_at <= r.goal_at,
            "within_limit": r.due_at is not None and r.stage1_closed_at <= r.due_at,
        })
    return found
