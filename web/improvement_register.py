"""The stage-2 register's read model: nonconformities across complaints with their corrective tasks,
filtered by department, process, product and period (shared by the page and the API)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from models import Complaint, CorrectiveAction, Nonconformity, User, db
from web.listing import _period

FILTERS = ("department", "process", "product", "from", "to")


def nonconformities(args: Mapping[str, Any], limit: int = 500) -> list[dict[str, Any]]:
    """Newest complaints first; the period is the complaint's registration, in company days."""
    stmt = (select(Nonconformity, Complaint).join(Complaint, Complaint.id == Nonconformity.complaint_id)
            .order_by(Complaint.registered_at.desc(), Nonconformity.id))
    for name in ("department", "process", "product"):
        if args.get(name):
            stmt = stmt.where(getattr(Nonconformity, name) == args[name])
    stmt = stmt.where(*_period(Complaint.registered_at, args))
    rows = db.session.execute(stmt.limit(limit)).all()
    actions: dict[int, list[CorrectiveAction]] = {}
    for action in db.session.scalars(select(CorrectiveAction).where(
            CorrectiveAction.complaint_id.in_({c.id for _n, c in rows})).order_by(CorrectiveAction.id)):
        actions.setdefault(action.complaint_id, []).append(action)
    return [{"id": n.id, "complaint": c.number, "registered_at": c.registered_at, "stage2_status": c.stage2_status,
             "department": n.department, "process": n.process, "product": n.product, "description": n.description,
             "corrective_actions": [action_view(a) for a in actions.get(c.id, [])]} for n, c in rows]


def action_view(a: CorrectiveAction, today: dt.date | None = None) -> dict[str, Any]:
    today = today or dt.date.today()
    return {"id": a.id, "description": a.description, "assignee": a.assignee,
            "assignee_login": a.assignee_user.login if a.assignee_user else None, "deadline": a.deadline,
            "status": a.status, "done_on": a.done_on,
            "overdue": a.status != "done" and a.deadline is not None and a.deadline < today}


def choices() -> dict[str, list[str]]:
    """The values the filters offer: what the nonconformities hold."""
    return {name: sorted(v for v in db.session.scalars(select(getattr(Nonconformity, name)).distinct()) if v)
            for name in ("department", "process", "product")}


def my_corrective_tasks(user_id: int) -> list[tuple[CorrectiveAction, Complaint]]:
    """The corrective tasks given to this user and not done yet, by deadline: their part of the inbox."""
    rows = db.session.execute(
        select(CorrectiveAction, Complaint).join(Complaint, Complaint.id == CorrectiveAction.complaint_id)
        .where(CorrectiveAction.assignee_user_id == user_id, CorrectiveAction.status != "done")
        .order_by(CorrectiveAction.deadline.is_(None), CorrectiveAction.deadline))
    return [(action, complaint) for action, complaint in rows]


def active_users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)))
