"""The report's charts: justification and loyalty by year (the deck's two charts), on-time handling by month."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.reports import periods
from engine.reports.figures import counted_steps, percent
from engine.reports.periods import Period
from models import Complaint

YEARS = 5
MONTHS = 12


def _years_to(period: Period, tz: ZoneInfo) -> list[Period]:
    """The last YEARS calendar years up to the report's month; the report's own year ends with its month."""
    last = period.first_day.year
    spans = [periods.year(y, tz) for y in range(last - YEARS + 1, last + 1)]
    spans[-1] = Period(spans[-1].key, spans[-1].start, period.end, spans[-1].first_day, period.last_day)
    return spans


def _trim(rows: list[dict[str, Any]], total: str) -> list[dict[str, Any]]:
    """Drop the leading years with nothing in them, so a young database does not chart empty years."""
    while len(rows) > 1 and not rows[0][total]:
        rows.pop(0)
    return rows


def justification_by_year(s: Session, period: Period, tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = []
    for span in _years_to(period, tz):
        counts = {(j or "undetermined"): n for j, n in s.execute(
            select(Complaint.justification, func.count())
            .where(Complaint.registered_at >= span.start, Complaint.registered_at < span.end)
            .group_by(Complaint.justification))}
        row = {"year": span.key, **{k: counts.get(k, 0) for k in
                                    ("justified", "partly_justified", "unjustified", "undetermined")}}
        row["received"] = sum(v for k, v in row.items() if k != "year")
        rows.append(row)
    return _trim(rows, "received")


def loyalty_by_year(s: Session, period: Period, tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = []
    for span in _years_to(period, tz):
        closed, loyal, satisfied = s.execute(
            select(func.count(), func.sum(case((Complaint.loyal.is_(True), 1), else_=0)),
                   func.sum(case((Complaint.satisfied.is_(True), 1), else_=0)))
            .where(Complaint.stage1_closed_at >= span.start, Complaint.stage1_closed_at < span.end)).one()
        rows.append({"year": span.key, "closed": closed, "loyal": int(loyal or 0),
                     "loyalty_percent": percent(int(loyal or 0), closed),
                     "satisfaction_percent": percent(int(satisfied or 0), closed)})
    return _trim(rows, "closed")


def on_time_by_month(s: Session, period: Period, tz: ZoneInfo, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for back in range(MONTHS - 1, -1, -1):
        span = periods.month_of(period.start, tz, back)
        steps = counted_steps(span, now).subquery()
        counted, on_time = s.execute(select(
            func.count(), func.sum(case((steps.c.completed_at <= steps.c.due_at, 1), else_=0)))).one()
        rows.append({"month": span.key, "counted": counted, "on_time": int(on_time or 0),
                     "percent": percent(int(on_time or 0), counted)})
    return rows
