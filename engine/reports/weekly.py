"""The weekly review (REQUIREMENTS §8.1): complaints received, due, overdue and closed in a week."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from engine.reports.periods import Period
from models import Appeal, Complaint, Counterparty, Deadline, Department, Responsible

FLAGS = ("received", "due", "overdue", "closed")


def _late_steps(s: Session, period: Period, now: dt.datetime) -> dict[str, list[str]]:
    """Steps late in the week: completed in it after their deadline, or still open past their deadline at the
    week's end (or now, for the current week) while stage 1 was open."""
    judged = min(period.end, now)
    closed_late = and_(Deadline.completed_at >= period.start, Deadline.completed_at < period.end,
                       Deadline.completed_at > Deadline.due_at)
    open_late = and_(Deadline.due_at < judged,
                     or_(Deadline.completed_at.is_(None), Deadline.completed_at > judged),
                     or_(Complaint.stage1_closed_at.is_(None), Complaint.stage1_closed_at > judged),
                     Complaint.registered_at < judged)
    late: dict[str, list[str]] = defaultdict(list)
    for number, step in s.execute(select(Deadline.business_key, Deadline.step)
                                  .join(Complaint, Complaint.number == Deadline.business_key)
                                  .where(or_(closed_late, open_late)).order_by(Deadline.step)):
        late[number].append(step)
    return late


def weekly_review(s: Session, period: Period, now: dt.datetime,
                  departments: list[str] | None = None) -> dict[str, Any]:
    """Every complaint the week touched, flagged; `departments` limits it (a head sees their own)."""
    def in_week(column: Any) -> Any:
        return and_(column >= period.start, column < period.end)

    due = dict(s.execute(select(Deadline.business_key, Deadline.due_at).where(Deadline.step == "1.6")
                         .where(in_week(Deadline.due_at))).all())
    late = _late_steps(s, period, now)
    limit = aliased(Deadline)
    stmt = (select(Complaint, Department.code, Responsible, Counterparty.name, Appeal.subject, limit.due_at)
            .join(Appeal, Appeal.id == Complaint.appeal_id)
            .outerjoin(limit, and_(limit.business_key == Complaint.number, limit.step == "1.6"))
            .outerjoin(Department, Department.id == Complaint.department_id)
            .outerjoin(Responsible, Responsible.id == Complaint.responsible_id)
            .outerjoin(Counterparty, Counterparty.id == Complaint.counterparty_id)
            .where(or_(in_week(Complaint.registered_at), in_week(Complaint.stage1_closed_at),
                       Complaint.number.in_(list(due) + list(late))))
            .order_by(Department.code, Complaint.registered_at))
    if departments is not None:
        stmt = stmt.where(Department.code.in_(departments))
    rows = []
    for c, department, responsible, client, subject, limit_at in s.execute(stmt):
        flags = {"received": period.contains(c.registered_at), "due": c.number in due,
                 "overdue": c.number in late, "closed": period.contains(c.stage1_closed_at)}
        rows.append({"number": c.number, "registered_at": c.registered_at, "counterparty": client,
                     "subject": subject, "department": department or "—",
                     "responsible": responsible.display_name if responsible else "—",
                     "stage1_due_at": limit_at, "stage1_closed_at": c.stage1_closed_at,
                     "late_steps": late.get(c.number, []), **flags})
    return {"week": period.key, "first_day": period.first_day, "last_day": period.last_day,
            "rows": rows, "totals": _totals(rows), "by_group": _by_group(rows)}


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {flag: sum(1 for r in rows if r[flag]) for flag in FLAGS}


def _by_group(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["department"], r["responsible"])].append(r)
    return [{"department": d, "responsible": p, **_totals(items), "rows": items}
            for (d, p), items in sorted(groups.items())]
