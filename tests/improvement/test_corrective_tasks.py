"""Corrective tasks given to people: the deadline in working days, the assignee's report, the process data
they write to, and the rule that stage 2 does not close over an undone one without QMS's reason."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.errors import Conflict, InvalidInput, NotAllowed
from models import Complaint, CorrectiveAction, Outbox, Task, User, db
from tests.conftest import history_events
from tests.engine.test_paths import CLOSE2
from tests.improvement.helpers import at_corrective_work

MSK = dt.timezone(dt.timedelta(hours=3))
# Friday 25 December 2026: 5 working days later (28, 29, 30 December; 31 December and 1-10 January are off;
# 11 January) end on Tuesday 12 January 2027.
FRIDAY = dt.datetime(2026, 12, 25, 15, 0, tzinfo=MSK)


def _user(login: str) -> User:
    return db.session.scalars(select(User).where(User.login == login)).one()


def _actions(number: str) -> list[CorrectiveAction]:
    db.session.expire_all()
    return db.session.scalars(select(Complaint).where(Complaint.number == number)).one().corrective_actions


def _open(number: str) -> Task:
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def test_qms_gives_a_task_to_a_user_with_a_deadline_in_working_days(engine: ProcessEngine, register: Any) -> None:
    number = at_corrective_work(engine, register)
    first, second = _actions(number)
    qms = _user("qms")
    with time_machine.travel(FRIDAY, tick=False):
        engine.assign_corrective_task(second.id, "responsible", 5, Actor(qms.full_name, user_id=qms.id))
    rows = _actions(number)
    assert [r.id for r in rows] == [first.id, second.id]  # updated in place: the links stay valid
    assert (rows[1].assignee, rows[1].assignee_user.login, rows[1].deadline, rows[1].status) == (
        _user("responsible").full_name, "responsible", dt.date(2027, 1, 12), "in_progress")
    assert (rows[0].assignee_user_id, rows[0].status) == (None, "planned")
    # The department's report step holds the same data: its form opens with it.
    report = _open(number)
    assert report.bpmn_id == "report_actions"
    held = engine.task_data(report)["corrective_actions"][1]
    assert (held["assignee_login"], held["deadline"], held["status"]) == ("responsible", "2027-01-12", "in_progress")
    (event,) = history_events("corrective_task_assigned")
    assert event.data == {"task": "Обучить инженеров", "assignee": "responsible", "working_days": 5,
                          "deadline": "2027-01-12"}


def test_only_qms_assigns_and_only_the_assignee_or_qms_finishes(engine: ProcessEngine, register: Any) -> None:
    number = at_corrective_work(engine, register)
    action = _actions(number)[0]
    responsible, operator, qms = _user("responsible"), _user("operator"), _user("qms")
    with pytest.raises(NotAllowed):
        engine.assign_corrective_task(action.id, "responsible", 3, Actor("x", user_id=responsible.id))
    with pytest.raises(InvalidInput) as bad:
        engine.assign_corrective_task(action.id, "nobody", 0, Actor("q", user_id=qms.id))
    assert set(bad.value.fields) == {"assignee", "working_days"}
    engine.assign_corrective_task(action.id, "responsible", 3, Actor("q", user_id=qms.id))
    with pytest.raises(NotAllowed):
        engine.finish_corrective_task(action.id, Actor("o", user_id=operator.id))
    with time_machine.travel(FRIDAY, tick=False):
        engine.finish_corrective_task(action.id, Actor("r", user_id=responsible.id))
    assert (_actions(number)[0].status, _actions(number)[0].done_on) == ("done", dt.date(2026, 12, 25))
    with pytest.raises(Conflict):
        engine.finish_corrective_task(action.id, Actor("r", user_id=responsible.id))


def test_stage2_closes_over_an_undone_task_only_with_a_reason(engine: ProcessEngine, register: Any) -> None:
    number = at_corrective_work(engine, register)
    first, second = _actions(number)
    qms = _user("qms")
    engine.assign_corrective_task(first.id, "responsible", 3, Actor("q", user_id=qms.id))
    engine.finish_corrective_task(first.id, Actor("r", user_id=_user("responsible").id))
    report = _open(number)
    held = engine.task_data(report)["corrective_actions"]
    assert [a.get("status") for a in held] == ["done", None]
    engine.complete_task(report.id, {"corrective_actions": [held[0], {**held[1], "status": "planned"}],
                                     "report_note": "Регламент готов, обучение позже"}, Actor("tester"))
    close = _open(number)
    with pytest.raises(InvalidInput) as refused:
        engine.complete_task(close.id, CLOSE2, Actor("tester"))
    assert "Обучить инженеров" in refused.value.fields["open_tasks_reason"][0]
    # The assignee reports the second one done while QMS's closing step waits: now it closes without a reason.
    engine.assign_corrective_task(second.id, "operator", 2, Actor("q", user_id=qms.id))
    engine.finish_corrective_task(second.id, Actor("o", user_id=_user("operator").id))
    engine.complete_task(close.id, CLOSE2, Actor("tester"))
    db.session.expire_all()
    complaint = db.session.scalars(select(Complaint).where(Complaint.number == number)).one()
    assert complaint.stage2_status == "closed"
    assert [a.status for a in complaint.corrective_actions] == ["done", "done"]
    with pytest.raises(Conflict):  # nothing waits on the tasks any more
        engine.assign_corrective_task(second.id, "operator", 2, Actor("q", user_id=qms.id))


def test_an_overdue_corrective_task_is_reported_once_with_two_schedulers(
        app: Any, engine: ProcessEngine, register: Any, config: Any) -> None:
    from tests.reports.test_cron import _together
    from web.app import create_app

    number = at_corrective_work(engine, register)
    first, second = _actions(number)
    qms = _user("qms")
    with time_machine.travel(FRIDAY, tick=False):
        engine.assign_corrective_task(first.id, "responsible", 5, Actor("q", user_id=qms.id))
    deadline_day = dt.datetime(2027, 1, 12, 23, 0, tzinfo=MSK)
    assert engine.notify_overdue_corrective_tasks(deadline_day) == []  # still its deadline day
    results = _together([app, create_app(config)],
                        lambda desk: desk.notify_overdue_corrective_tasks(deadline_day + dt.timedelta(hours=2)))
    assert sorted(results) == [[], [first.id]]
    rows = db.session.scalars(select(Outbox).where(Outbox.kind == "corrective_overdue").order_by(Outbox.id)).all()
    assert [r.recipient for r in rows] == ["user:responsible", "group:СМК"]
    assert rows[0].subject == f"[{number}] Просрочена корректирующая задача по претензии {number}"
    assert "Задача: Написать регламент проверки скорости" in rows[0].body and "Срок: 12.01.2027" in rows[0].body
    assert engine.notify_overdue_corrective_tasks(deadline_day + dt.timedelta(days=3)) == []
    assert second.deadline is not None and second.deadline > dt.date(2027, 1, 15)  # not due: no notice for it
