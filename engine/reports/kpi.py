"""KPIs per responsible per month (REQUIREMENTS §8.3): the indicators that feed the bonus and their weights."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.messages import Message
from engine.reports.figures import (
    closed_stage1,
    counted_steps,
    median,
    percent,
    responsible_names,
    step_on_time,
)
from engine.reports.periods import Period
from models import AuditLog, KpiWeight

# Each scored indicator is 0-100; the score is their weighted mean (indicators without data are left out).
INDICATORS = ("on_time", "goal", "loyalty", "volume")
DEFAULT_WEIGHTS = {"on_time": 40, "goal": 20, "loyalty": 30, "volume": 10}
STEP_CODES = ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6")


def weights(s: Session) -> dict[str, int]:
    stored = {w.indicator: w.weight for w in s.scalars(select(KpiWeight))}
    return {name: stored.get(name, DEFAULT_WEIGHTS[name]) for name in INDICATORS}


def set_weights(s: Session, values: dict[str, Any], actor: str, now: dt.datetime) -> dict[str, int]:
    problems: dict[str, list[str]] = {}
    checked: dict[str, int] = {}
    for name in INDICATORS:
        raw = values.get(name)
        try:
            checked[name] = int(str(raw).strip())
        except ValueError:
            problems[name] = [Message("Give a whole number from 0 to 100.")]
            continue
        if not 0 <= checked[name] <= 100:
            problems[name] = [Message("Give a whole number from 0 to 100.")]
    if unknown := sorted(set(values) - set(INDICATORS)):
        problems["weights"] = [Message("Unknown indicators: {names}.", names=", ".join(unknown))]
    elif not problems and sum(checked.values()) == 0:
        problems["weights"] = [Message("At least one weight must be above zero.")]
    if problems:
        raise InvalidInput("The KPI weights have errors.", problems)
    before = weights(s)
    stored = {w.indicator: w for w in s.scalars(select(KpiWeight))}
    for name, weight in checked.items():
        row = stored.get(name) or KpiWeight(indicator=name)
        row.weight, row.updated_by, row.updated_at = weight, actor, now
        s.add(row)
    s.add(AuditLog(at=now, actor=actor, action="kpi_weights_set", data={"before": before, "after": checked}))
    return checked


def kpis(s: Session, period: Period, calendar: Any, now: dt.datetime) -> dict[str, Any]:
    steps_of: dict[int, list[Any]] = defaultdict(list)
    for r in s.execute(counted_steps(period, now)):
        if r.responsible_id is not None:
            steps_of[r.responsible_id].append(r)
    closed_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in closed_stage1(s, period, calendar):
        if c["responsible_id"] is not None:
            closed_of[c["responsible_id"]].append(c)
    names = responsible_names(s)
    most = max((len(v) for v in closed_of.values()), default=0)
    chosen = weights(s)
    rows = [_row(rid, names.get(rid, ("—", "—")), steps_of[rid], closed_of[rid], most, chosen)
            for rid in sorted(set(steps_of) | set(closed_of), key=lambda i: names.get(i, ("",))[0])]
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["responsible"]))
    return {"month": period.key, "weights": chosen, "responsibles": rows}


def _row(rid: int, name: tuple[str, str], steps: list[Any], closed: list[dict[str, Any]], most: int,
         chosen: dict[str, int]) -> dict[str, Any]:
    scores = {
        "on_time": percent(sum(1 for r in steps if step_on_time(r)), len(steps)),
        "goal": percent(sum(1 for c in closed if c["within_goal"]), len(closed)),
        "loyalty": percent(sum(1 for c in closed if c["loyal"]), len(closed)),
        "volume": percent(len(closed), most),
    }
    weighed = [(chosen[k], v) for k, v in scores.items() if v is not None and chosen[k] > 0]
    total = sum(w for w, _ in weighed)
    return {
        "responsible_id": rid, "responsible": name[0], "department": name[1], "handled": len(closed),
        "steps_counted": len(steps), "on_time_percent": scores["on_time"],
        "on_time_by_step": {code: percent(sum(1 for r in steps if r.step == code and step_on_time(r)),
                                          sum(1 for r in steps if r.step == code)) for code in STEP_CODES},
        "median_hours_to_close": median(c["hours_to_close"] for c in closed),
        "closed_within_goal_percent": scores["goal"], "loyalty_percent": scores["loyalty"],
        "volume_percent": scores["volume"],
        "score": round(sum(w * v for w, v in weighed) / total, 1) if total else None,
    }
