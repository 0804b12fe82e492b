"""The report's charts: justification and loyalty by year (the deck's two charts), on-time handling by month.

Each chart is one query: rows are put in their year or month by a CASE over the bounds (computed in the
company's time zone), so the database scans the range once and does the counting.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.reports import periods
from engine.reports.figures import percent
from engine.reports.periods import Period
from models import Complaint, Deadline

YEARS = 5
MONTHS = 12
JUSTIFICATIONS = ("justified", "partly_justified", "unjustified", "undetermined")


def _years_to(period: Period, tz: ZoneInfo) -> list[Period]:
    """The last YEARS calendar years up to the report's month; the report's own year ends with its month."""
    last = period.first_day.year
    spans = [periods.year(y, tz) for y in range(last - YEARS + 1, last + 1)]
    spans[-1] = Period(spans[-1].key, spans[-1].start, period.end, spans[-1].first_day, period.last_day)
    return spans


def _bucket(column: Any, spans: list[Period]) -> Any:
    """The index of the span `column` falls in (spans are consecutive)."""
    return case(*((column < span.end, index) for index, span in enumerate(spans)), else_=None)


def _trim(rows: list[dict[str, Any]], total: str) -> list[dict[str, Any]]:
    """Drop the leading years with nothing in them, so a young database does not chart empty years."""
    while len(rows) > 1 and not rows[0][total]:
        rows.pop(0)
    return rows


def justification_by_year(s: Session, period: Period, tz: ZoneInfo) -> list[dict[str, Any]]:
    spans = _years_to(period, tz)
    year = _bucket(Complaint.registered_at, spans).label("year")
    counts: dict[tuple[int, str], int] = {}
    for index, justification, count in s.execute(
            select(year, Complaint.justification, func.count())
            .where(Complaint.registered_at >= spans[0].start, Complaint.registered_at < spans[-1].end)
            .group_by(year, Complaint.justification)):
        key = (index, justification or "undetermined")
        counts[key] = counts.get(key, 0) + count
    rows = []
    for index, span in enumerate(spans):
        row: dict[str, Any] = {"year": span.key, **{j: counts.get((index, j), 0) for j in JUSTIFICATIONS}}
        row["received"] = sum(row[j] for j in JUSTIFICATIONS)
        rows.append(row)
    return _trim(rows, "received")


def loyalty_by_year(s: Session, period: Period, tz: ZoneInfo) -> list[dict[str, Any]]:
    spans = _years_to(period, tz)
    year = _bucket(Complaint.stage1_closed_at, spans).label("year")
    found = {index: (closed, int(loyal or 0), int(satisfied or 0)) for index, closed, loyal, satisfied in s.execute(
        select(year, func.count(), func.sum(case((Complaint.loyal.is_(True), 1), else_=0)),
               func.sum(case((Complaint.satisfied.is_(True), 1), else_=0)))
        .where(Complaint.stage1_closed_at >= spans[0].start, Complaint.stage1_closed_at < spans[-1].end)
        .group_by(year))}
    rows = []
    for index, span in enumerate(spans):
        closed, loyal, satisfied = found.get(index, (0, 0, 0))
        rows.append({"year": span.key, "closed": closed, "loyal": loyal, "loyalty_percent": percent(loyal, closed),
                     "satisfaction_percent": percent(satisfied, closed)})
    return _trim(rows, "closed")


def on_time_by_month(s: Session, period: Period, tz: ZoneInfo, now: dt.datetime) -> list[dict[str, Any]]:
    """The steps `counted_steps` counts, per month: the completed ones need no join to their complaint, so
    they are counted apart from the open late ones (the few that do)."""
    spans = [periods.month_of(period.start, tz, back) for back in range(MONTHS - 1, -1, -1)]
    in_range = (Deadline.due_at >= spans[0].start, Deadline.due_at < spans[-1].end)
    month = _bucket(Deadline.due_at, spans).label("month")
    done = {index: (counted, int(on_time or 0)) for index, counted, on_time in s.execute(
        select(month, func.count(), func.sum(case((Deadline.completed_at <= Deadline.due_at, 1), else_=0)))
        .where(*in_range, Deadline.completed_at.is_not(None)).group_by(month))}
    late_open = dict(s.execute(
        select(month, func.count()).join(Complaint, Complaint.number == Deadline.business_key)
        .where(*in_range, Deadline.completed_at.is_(None), Deadline.due_at < min(spans[-1].end, now),
               Complaint.stage1_closed_at.is_(None)).group_by(month)).all())
    rows = []
    for index, span in enumerate(spans):
        counted, on_time = done.get(index, (0, 0))
        counted += late_open.get(index, 0)
        rows.append({"month": span.key, "counted": counted, "on_time": on_time, "percent": percent(on_time, counted)})
    return rows
