"""Department calendars: a branch's own time zone and its region's extra days off, set by QMS (audited)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.messages import Message
from models import AuditLog, Department, DepartmentCalendar


def _department(s: Session, code: str) -> Department:
    department = s.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise InvalidInput("Unknown department.", {"department": [Message("Unknown department: {code}.", code=code)]})
    return department


def _check(timezone: str, holidays: list[tuple[str, str]]) -> tuple[list[list[str]], dict[str, list[str]]]:
    problems: dict[str, list[str]] = {}
    try:
        if timezone not in available_timezones():
            raise ZoneInfoNotFoundError(timezone)
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems["timezone"] = [Message("Unknown time zone: {zone}; e.g. Asia/Yekaterinburg.",
                                        zone=timezone or "(none)")]
    clean: list[list[str]] = []
    for i, (day, note) in enumerate(holidays):
        try:
            parsed = dt.date.fromisoformat(str(day))
        except ValueError:
            problems[f"holidays.{i}"] = [Message("Not a date: {day}; give it as YYYY-MM-DD.", day=day)]
            continue
        if any(c[0] == parsed.isoformat() for c in clean):
            problems[f"holidays.{i}"] = [Message("{day} is listed twice.", day=parsed.isoformat())]
        clean.append([parsed.isoformat(), str(note or "")[:300]])
    return sorted(clean), problems


def set_calendar(s: Session, code: str, timezone: str, holidays: list[tuple[str, str]], actor: str,
                 now: dt.datetime) -> DepartmentCalendar:
    department = _department(s, code)
    clean, problems = _check(timezone, holidays)
    if problems:
        raise InvalidInput("The department calendar has errors.", problems)
    row = s.get(DepartmentCalendar, department.id)
    before = None if row is None else {"timezone": row.timezone, "holidays": row.holidays}
    if row is None:
        row = DepartmentCalendar(department_id=department.id)
        s.add(row)
    row.timezone, row.holidays, row.updated_by, row.updated_at = timezone, clean, actor, now
    s.add(AuditLog(at=now, actor=actor, action="department_calendar_set", data={
        "department": code, "before": before, "after": {"timezone": timezone, "holidays": clean}}))
    s.flush()
    return row


def remove_calendar(s: Session, code: str, actor: str, now: dt.datetime) -> None:
    """Back to the company calendar."""
    department = _department(s, code)
    row = s.get(DepartmentCalendar, department.id)
    if row is None:
        raise InvalidInput("No calendar of its own.",
                           {"department": [Message("{code} uses the company calendar.", code=code)]})
    s.add(AuditLog(at=now, actor=actor, action="department_calendar_removed", data={
        "department": code, "before": {"timezone": row.timezone, "holidays": row.holidays}}))
    s.delete(row)
    s.flush()


def calendar_of(s: Session, code: str) -> DepartmentCalendar | None:
    return s.get(DepartmentCalendar, _department(s, code).id)
