"""The complaint and appeal lists' filters, shared by the pages, their exports and the API list."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Select, exists, or_, select

from models import Appeal, Complaint, Counterparty, Deadline, Department, Responsible, db

FILTERS = ("q", "department", "responsible", "channel", "state", "overdue", "from", "to", "type")


def _period(column: Any, args: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """`from` and `to` are calendar days in the company's time zone, both included; the pages ignore a
    malformed day (the API refuses it before it gets here)."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    found = []
    for key, after in (("from", 0), ("to", 1)):
        value = args.get(key)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                continue
        if value:
            moment = dt.datetime.combine(value + dt.timedelta(days=after), dt.time(), tz)
            found.append(column >= moment if key == "from" else column < moment)
    return found


def _search(args: Mapping[str, Any], number: Any) -> list[ColumnElement[bool]]:
    if not args.get("q"):
        return []
    q = f"%{str(args['q']).strip()}%"
    return [or_(number.ilike(q), Counterparty.name.ilike(q), Counterparty.inn.ilike(q), Appeal.text.ilike(q),
                Appeal.subject.ilike(q))]


def overdue_clause() -> Any:
    return exists().where(Deadline.business_key == Complaint.number, Deadline.breached_at.is_not(None))


def complaints(args: Mapping[str, Any], *columns: Any) -> Select[Any]:
    """Complaints matching the list's filters; `columns` chooses what to select (default: the entity)."""
    stmt = (select(*(columns or (Complaint,))).select_from(Complaint)
            .join(Appeal, Appeal.id == Complaint.appeal_id)
            .outerjoin(Counterparty, Counterparty.id == Complaint.counterparty_id)
            .outerjoin(Department, Department.id == Complaint.department_id)
            .outerjoin(Responsible, Responsible.id == Complaint.responsible_id))
    where = _search(args, Complaint.number) + _period(Complaint.registered_at, args)
    if args.get("department"):
        where.append(Department.code == args["department"])
    if (responsible := _row_id(args.get("responsible"))) is not None:
        where.append(Complaint.responsible_id == responsible)
    if args.get("channel"):
        where.append(Appeal.channel == args["channel"])
    if args.get("state") == "open":
        where.append(or_(Complaint.stage2_status.is_(None), Complaint.stage2_status != "closed"))
    elif args.get("state") == "closed":
        where.append(Complaint.stage2_status == "closed")
    if args.get("overdue") and str(args["overdue"]).lower() not in ("0", "false"):
        where.append(overdue_clause())
    return stmt.where(*where).order_by(Complaint.registered_at.desc(), Complaint.id.desc())


def appeals(args: Mapping[str, Any], *columns: Any) -> Select[Any]:
    stmt = (select(*(columns or (Appeal,))).select_from(Appeal)
            .outerjoin(Counterparty, Counterparty.id == Appeal.counterparty_id)
            .outerjoin(Department, Department.id == Appeal.department_id)
            .outerjoin(Responsible, Responsible.id == Appeal.responsible_id))
    where = _search(args, Appeal.number) + _period(Appeal.received_at, args)
    for key in ("type", "channel", "state"):
        if args.get(key):
            where.append(getattr(Appeal, key) == args[key])
    if args.get("department"):
        where.append(Department.code == args["department"])
    if (responsible := _row_id(args.get("responsible"))) is not None:
        where.append(Appeal.responsible_id == responsible)
    return stmt.where(*where).order_by(Appeal.received_at.desc(), Appeal.id.desc())


def stream(stmt: Select[Any]) -> Iterator[Any]:
    """Rows fetched in batches (a server-side cursor on PostgreSQL), so a large export never sits in memory."""
    yield from db.session.execute(stmt.execution_options(yield_per=500))


def _row_id(value: Any) -> int | None:
    """A typed row id: ASCII digits that fit the column (`"²".isdigit()` is true, `int("²")` raises)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
