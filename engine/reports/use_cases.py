"""Use cases of QMS control: the report reads, the KPI weights QMS sets, and the two report cron jobs."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.bpmn.runtime import Runtime
from engine.errors import ConcurrentUpdate
from engine.people.actor import Actor
from engine.reports import digests, exports, kpi, monthly, periods, sheets, weekly


def monthly_report(rt: Runtime, month: str) -> dict[str, Any]:
    period = periods.month(month, rt.tz)
    return monthly.monthly_report(rt.session, period, rt.calendars.current(), rt.clock())


def kpis(rt: Runtime, month: str) -> dict[str, Any]:
    return kpi.kpis(rt.session, periods.month(month, rt.tz), rt.calendars.current(), rt.clock())


def weekly_review(rt: Runtime, week: str, departments: list[str] | None = None) -> dict[str, Any]:
    return weekly.weekly_review(rt.session, periods.week(week, rt.tz), rt.clock(), departments)


def set_kpi_weights(rt: Runtime, values: dict[str, Any], actor: Actor) -> dict[str, int]:
    with rt.transaction() as s:
        return kpi.set_weights(s, values, actor.name, rt.clock())


def send_weekly_digest(rt: Runtime, now: dt.datetime | None = None) -> str | None:
    """The digest of last week, once per week whatever the number of scheduler processes; returns the week
    sent, or None when another process (or an earlier run) already sent it."""
    now = now or rt.clock()
    period = periods.week_of(now, rt.tz, back=1)
    try:
        with rt.transaction() as s:
            run = digests.claim(s, "weekly-digest", period.key, now)
            if run is None:
                return None
            review = weekly.weekly_review(s, period, now)
            run.outcome = f"{digests.enqueue_weekly(s, review, rt.settings.qms_department, now)} queued"
    except ConcurrentUpdate:
        return None
    return period.key


def send_monthly_report(rt: Runtime, recipients: list[str], now: dt.datetime | None = None) -> str | None:
    """Last month's report with its XLSX to `recipients`, once: at the first run on or after the first working
    day of the month (a run missed on that day happens at the next one)."""
    now = now or rt.clock()
    calendar = rt.calendars.current()
    today = now.astimezone(rt.tz).date()
    if today < digests.first_working_day(calendar, today):
        return None
    period = periods.month_of(now, rt.tz, back=1)
    try:
        with rt.transaction() as s:
            run = digests.claim(s, "monthly-report", period.key, now)
            if run is None:
                return None
            report = monthly.monthly_report(s, period, calendar, now)
            workbook = exports.xlsx_bytes(sheets.monthly_tables(report), rt.tz)
            run.outcome = f"{digests.enqueue_monthly(s, report, workbook, recipients, now)} queued"
    except ConcurrentUpdate:
        return None
    return period.key
