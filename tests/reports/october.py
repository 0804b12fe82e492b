"""A small, hand-made October 2026 for the report tests: six complaints whose figures are worked out by hand.

Times are Moscow time. C1, C2 (counterparty A, ДКС) and C3 (counterparty B, ОПР) arrive in October; C4 (B, ОПР)
arrived in September and closes in October; C6 (B) is from March; C7 from 2025; C5 (A) arrives in November.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import (
    Appeal,
    Complaint,
    Counterparty,
    Deadline,
    Department,
    Nonconformity,
    Responsible,
    db,
)

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=MSK)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=MSK)


def _complaint(number: str, department: str, counterparty: Counterparty, registered: dt.datetime, *,
               channel: str = "phone", kind: str = "external", justification: str | None = None,
               closed: dt.datetime | None = None, loyal: bool | None = None, satisfied: bool | None = None,
               compensation: str | None = None, stage2_closed: dt.datetime | None = None) -> Complaint:
    dept = db.session.scalar(select(Department).where(Department.code == department))
    responsible = db.session.scalar(select(Responsible).where(Responsible.department_id == dept.id))
    appeal = Appeal(number=f"A{number[1:]}", received_at=registered, type="complaint", channel=channel, kind=kind,
                    subject=f"Тема {number}", text="…", author="operator", department_id=dept.id,
                    counterparty=counterparty, state="processed")
    complaint = Complaint(number=number, appeal=appeal, registered_at=registered, counterparty=counterparty,
                          department_id=dept.id, responsible_id=responsible.id, kind=kind,
                          justification=justification, stage1_closed_at=closed,
                          stage1_status="closed" if closed else "open", loyal=loyal, satisfied=satisfied,
                          compensation=compensation, stage2_closed_at=stage2_closed,
                          stage2_status="closed" if stage2_closed else None)
    db.session.add(complaint)
    return complaint


def _step(number: str, step: str, due: dt.datetime, completed: dt.datetime | None = None,
          minutes: int | None = None, goal: dt.datetime | None = None) -> None:
    db.session.add(Deadline(business_key=number, step=step, due_at=due, goal_at=goal, completed_at=completed,
                            on_time=None if completed is None else completed <= due, working_minutes=minutes))


def build() -> dict[str, Any]:
    a = Counterparty(name="ООО «Альфа»", inn="7707083893")
    b = Counterparty(name="АО «Бета»", inn="6165456519")
    c1 = _complaint("P2610050001", "ДКС", a, at(2026, 10, 5, 10), justification="justified",
                    closed=at(2026, 10, 8, 12), loyal=True, satisfied=True, compensation="apology",
                    stage2_closed=at(2026, 10, 25, 12))
    _step("P2610050001", "1.1", at(2026, 10, 5, 11), at(2026, 10, 5, 10, 30), 30)
    _step("P2610050001", "1.2", at(2026, 10, 5, 13), at(2026, 10, 5, 12), 120)
    _step("P2610050001", "1.3", at(2026, 10, 8, 18), at(2026, 10, 7, 15), 1020)
    _step("P2610050001", "1.6", at(2026, 10, 23, 18), at(2026, 10, 8, 11), 1710, goal=at(2026, 10, 12, 18))
    _complaint("P2610060001", "ДКС", a, at(2026, 10, 6, 9, 30), channel="email", justification="unjustified",
               closed=at(2026, 10, 20, 17), loyal=False, satisfied=False, compensation="none")
    _step("P2610060001", "1.1", at(2026, 10, 6, 10, 30), at(2026, 10, 6, 11), 90)
    _step("P2610060001", "1.6", at(2026, 10, 26, 18), at(2026, 10, 20, 16), 5790, goal=at(2026, 10, 13, 18))
    # Registered half an hour into October, Moscow time (still 30 September in UTC): an October complaint.
    _complaint("P2610010001", "ОПР", b, at(2026, 10, 1, 0, 30), kind="internal")
    _step("P2610010001", "1.1", at(2026, 10, 1, 10), at(2026, 10, 1, 9, 48), 48)
    _step("P2610010001", "1.2", at(2026, 10, 1, 12))
    _step("P2610010001", "1.6", at(2026, 10, 21, 18), goal=at(2026, 10, 8, 18))
    c4 = _complaint("P2609250001", "ОПР", b, at(2026, 9, 25, 10), justification="partly_justified",
                    closed=at(2026, 10, 15, 12), loyal=True, satisfied=False, compensation="apology",
                    stage2_closed=at(2026, 10, 28, 12))
    _step("P2609250001", "1.6", at(2026, 10, 14, 18), at(2026, 10, 15, 11), 7620, goal=at(2026, 10, 2, 18))
    _complaint("P2611020001", "ДКС", a, at(2026, 11, 2, 10), justification="justified")
    _complaint("P2603100001", "ОПР", b, at(2026, 3, 10, 10), justification="justified",
               closed=at(2026, 3, 12, 12), loyal=False, satisfied=False)
    _step("P2603100001", "1.6", at(2026, 3, 30, 18), at(2026, 3, 12, 11), 1500, goal=at(2026, 3, 17, 18))
    _complaint("P2506100001", "ДКС", a, at(2025, 6, 10, 10), justification="unjustified",
               closed=at(2025, 6, 20, 12), loyal=True, satisfied=True)
    db.session.add(Appeal(number="A2610090002", received_at=at(2026, 10, 9, 15), type="gratitude",
                          channel="site_form", subject="Спасибо", text="Спасибо за помощь", author="site"))
    db.session.flush()
    c1.nonconformities += [
        Nonconformity(department="ДКС", process="Обратный звонок", product="1С:БП", description="Не перезвонили"),
        Nonconformity(department="ДКС", process="Обратный звонок", product=None, description="Нет напоминания")]
    c4.nonconformities += [
        Nonconformity(department="ОПР", process="Продажа", product="1С:БП", description="Не тот продукт")]
    db.session.commit()
    return {"a": a, "b": b}
