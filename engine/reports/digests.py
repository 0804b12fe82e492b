"""The report cron jobs' parts: the claim that makes a run exactly-once, and what goes into the outbox."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.notify import notifications
from models import CronRun, Department


def claim(s: Session, job: str, period: str, now: dt.datetime) -> CronRun | None:
    """Insert the (job, period) row; None when another scheduler process already has it. The unique
    constraint decides: a second insert waits for the first transaction and then fails."""
    if s.scalar(select(CronRun.id).where(CronRun.job == job, CronRun.period == period)) is not None:
        return None
    row = CronRun(job=job, period=period, started_at=now)
    s.add(row)
    try:
        s.flush()
    except IntegrityError:
        s.rollback()
        return None
    return row


def first_working_day(calendar: Any, day: dt.date) -> dt.date:
    first = day.replace(day=1)
    while not calendar.is_working_day(first):
        first += dt.timedelta(days=1)
    return first


def _digest_context(review: dict[str, Any]) -> dict[str, Any]:
    def day(d: dt.date) -> str:
        return d.strftime("%d.%m.%Y")

    return {
        "week": review["week"], "first_day": day(review["first_day"]), "last_day": day(review["last_day"]),
        **review["totals"],
        "groups": [{"department": g["department"], "responsible": g["responsible"], "received": g["received"],
                    "due": g["due"], "overdue": g["overdue"], "closed": g["closed"],
                    "overdue_numbers": ", ".join(r["number"] for r in g["rows"] if r["overdue"])}
                   for g in review["by_group"]],
    }


def enqueue_weekly(s: Session, review: dict[str, Any], qms: str, now: dt.datetime) -> int:
    """The whole review to QMS; each department head with complaints that week gets their department's part."""
    sent = 0
    if notifications.enqueue(s, "weekly_digest", f"group:{qms}", f"weekly:{review['week']}:group:{qms}",
                             _digest_context(review), now):
        sent += 1
    heads = s.execute(select(Department.code).where(Department.head_user_id.is_not(None))).scalars()
    for code in heads:
        part = [g for g in review["by_group"] if g["department"] == code]
        if not part:
            continue
        rows = [r for g in part for r in g["rows"]]
        own = {**review, "by_group": part,
               "totals": {f: sum(1 for r in rows if r[f]) for f in ("received", "due", "overdue", "closed")}}
        if notifications.enqueue(s, "weekly_digest", f"head:{code}", f"weekly:{review['week']}:head:{code}",
                                 _digest_context(own), now):
            sent += 1
    return sent


def enqueue_monthly(s: Session, report: dict[str, Any], workbook: bytes, recipients: list[str],
                    now: dt.datetime) -> int:
    context = {k: report[k] for k in ("month", "received", "closed_stage1", "loyalty_percent",
                                      "satisfaction_percent", "on_time_percent", "closed_within_goal_percent")}
    sent = 0
    for recipient in recipients:
        if notifications.enqueue(s, "monthly_report", recipient, f"monthly:{report['month']}:{recipient}", context,
                                 now, attachment=(f"complaints-{report['month']}.xlsx", workbook)):
            sent += 1
    return sent
