"""The monthly report (REQUIREMENTS §8.2): intake, outcomes, on-time handling, speed, repeats, causes."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.reports import trends
from engine.reports.figures import (
    closed_stage1,
    counted_steps,
    hours,
    median,
    percent,
    responsible_names,
    step_on_time,
)
from engine.reports.periods import Period
from models import APPEAL_TYPES, Appeal, Complaint, Counterparty, Department, Nonconformity

STEP_CODES = ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6")
JUSTIFICATIONS = ("justified", "partly_justified", "unjustified", "undetermined")


def monthly_report(s: Session, period: Period, calendar: Any, now: dt.datetime) -> dict[str, Any]:
    received = _received(s, period)
    closed = closed_stage1(s, period, calendar)
    steps = list(s.execute(counted_steps(period, now)))
    names = responsible_names(s)
    return {
        "month": period.key, **received,
        "closed_stage1": len(closed),
        "loyal": sum(1 for c in closed if c["loyal"]),
        "satisfied": sum(1 for c in closed if c["satisfied"]),
        "loyalty_percent": percent(sum(1 for c in closed if c["loyal"]), len(closed)),
        "satisfaction_percent": percent(sum(1 for c in closed if c["satisfied"]), len(closed)),
        "closed_within_goal_percent": percent(sum(1 for c in closed if c["within_goal"]), len(closed)),
        "closed_within_limit_percent": percent(sum(1 for c in closed if c["within_limit"]), len(closed)),
        "median_hours_to_close_stage1": median(c["hours_to_close"] for c in closed),
        "steps_counted": len(steps),
        "on_time_percent": percent(sum(1 for r in steps if step_on_time(r)), len(steps)),
        "on_time_by_step": _on_time_by(steps, lambda r: r.step, STEP_CODES),
        "on_time_by_department": _on_time_by(steps, lambda r: r.department or "—"),
        "on_time_by_responsible": _on_time_by(
            steps, lambda r: names.get(r.responsible_id, ("—", "—"))[0] if r.responsible_id else "—"),
        "median_hours_by_step": {code: hours(median(r.working_minutes for r in steps
                                                    if r.step == code and r.completed_at is not None))
                                 for code in STEP_CODES},
        "compensations": dict(Counter(c["compensation"] for c in closed if c["compensation"]).most_common()),
        "repeat_counterparties": _repeats(s, period),
        "nonconformities": _nonconformities(s, period),
        "charts": {
            "justification_by_year": trends.justification_by_year(s, period, calendar.tz),
            "loyalty_by_year": trends.loyalty_by_year(s, period, calendar.tz),
            "on_time_by_month": trends.on_time_by_month(s, period, calendar.tz, now),
        },
    }


def _received(s: Session, period: Period) -> dict[str, Any]:
    in_month = (Complaint.registered_at >= period.start, Complaint.registered_at < period.end)
    types = dict(s.execute(select(Appeal.type, func.count()).where(
        Appeal.received_at >= period.start, Appeal.received_at < period.end).group_by(Appeal.type)).all())
    rows = s.execute(select(Appeal.channel, Complaint.kind, Complaint.justification,
                            Department.code.label("department"))
                     .join(Appeal, Appeal.id == Complaint.appeal_id)
                     .outerjoin(Department, Department.id == Complaint.department_id).where(*in_month)).all()
    justification = Counter(r.justification or "undetermined" for r in rows)
    return {
        "received": len(rows),
        "appeals_received": sum(types.values()),
        "by_type": {t: types.get(t, 0) for t in APPEAL_TYPES},
        "by_channel": dict(Counter(r.channel for r in rows).most_common()),
        "by_department": dict(Counter(r.department or "—" for r in rows).most_common()),
        "by_kind": {k: sum(1 for r in rows if r.kind == k) for k in ("external", "internal")},
        "justification": {j: justification.get(j, 0) for j in JUSTIFICATIONS},
    }


def _on_time_by(steps: list[Any], key: Any, order: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for code in order:
        groups[code] = []
    for r in steps:
        groups[key(r)].append(step_on_time(r))
    names = list(groups) if order else sorted(groups)
    return [{"name": n, "counted": len(groups[n]), "on_time": sum(groups[n]),
             "percent": percent(sum(groups[n]), len(groups[n]))} for n in names]


def _repeats(s: Session, period: Period) -> list[dict[str, Any]]:
    """Counterparties complaining in the month that complained at least twice in the 12 months to its end."""
    year_ago = period.end - dt.timedelta(days=365)
    this_month = select(Complaint.counterparty_id).where(
        Complaint.registered_at >= period.start, Complaint.registered_at < period.end,
        Complaint.counterparty_id.is_not(None))
    in_month = func.sum(case((Complaint.registered_at >= period.start, 1), else_=0))
    rows = s.execute(
        select(Counterparty.name, Counterparty.inn, func.count().label("year"), in_month.label("month"))
        .join(Counterparty, Counterparty.id == Complaint.counterparty_id)
        .where(Complaint.counterparty_id.in_(this_month), Complaint.registered_at >= year_ago,
               Complaint.registered_at < period.end)
        .group_by(Counterparty.id, Counterparty.name, Counterparty.inn).having(func.count() > 1)
        .order_by(func.count().desc(), Counterparty.name))
    return [{"counterparty": r.name, "inn": r.inn, "this_month": int(r.month or 0), "last_12_months": r.year}
            for r in rows]


def _nonconformities(s: Session, period: Period) -> dict[str, list[dict[str, Any]]]:
    """Pareto of the causes found by the stage-2 analyses that closed in the month."""
    rows = s.execute(select(Nonconformity.department, Nonconformity.process, Nonconformity.product)
                     .join(Complaint, Complaint.id == Nonconformity.complaint_id)
                     .where(Complaint.stage2_closed_at >= period.start,
                            Complaint.stage2_closed_at < period.end)).all()
    result = {}
    for field in ("department", "process", "product"):
        counts = Counter(getattr(r, field) or "—" for r in rows).most_common()
        running, pareto = 0, []
        for value, count in counts:
            running += count
            pareto.append({"name": value, "count": count, "cumulative_percent": percent(running, len(rows))})
        result[field] = pareto
    return result
