"""Every path through stage 1 and stage 2, each run twice: with the engine's spec cache, and with a fresh
engine at every step so the definition and the instance are restored from the database each time."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import Complaint, ProcessInstance, Task, db
from tests.conftest import history_events

ACCEPT = {"belongs_to_department": True}
REACHED = {"client_reached": True, "contact_summary": "Клиент объяснил проблему, договорились о звонке"}
UNREACHED = {"client_reached": False, "contact_summary": "Не берёт трубку"}
CORRECT_NOW = {"justification": "justified", "importance": "high", "correction": "Настроили базу",
               "agreed_with_client": True, "immediate": True, "compensation": "apology"}
# Dates the forms ask about the future must not be in the past: keep them ahead of the real clock.
AGREED = (dt.date.today() + dt.timedelta(days=30)).isoformat()
TASK_DUE = (dt.date.today() + dt.timedelta(days=60)).isoformat()
CORRECT_LATER = {**CORRECT_NOW, "immediate": False, "implementation_date": AGREED,
                 "compensation": "discount_coupon"}
IMPLEMENT = {"implemented_at": "2026-11-30T15:00:00+03:00", "implementation_note": "Перенесли базу на SSD"}
WORKS = {"solution_works": True, "verification_note": "Клиент подтвердил"}
FAILS = {"solution_works": False, "verification_note": "Снова медленно"}
HANDOVER = {"satisfied": True, "loyal": False, "handover_summary": "Решено, но клиент уходит"}
CLOSE1 = {"close_decision": "close"}
ANALYSIS_NONE = {"participants": [{"department": "ДКС", "actions": "Разбор звонков"}],
                 "nonconformities": [], "root_cause": "Единичный случай", "improvement_needed": False}
ANALYSIS = {"participants": [{"department": "ДКС", "actions": "Разбор звонков"},
                             {"department": "ОПР", "actions": "Проверка договора"}],
            "nonconformities": [{"department": "ДКС", "process": "Сопровождение", "product": "1С:БП",
                                 "description": "Нет регламента проверки скорости"}],
            "root_cause": "Нет регламента", "improvement_needed": True}
PLAN = {"corrective_actions": [{"description": "Написать регламент", "assignee": "Бадыштова К.",
                                "deadline": TASK_DUE}]}
REPORT = {"corrective_actions": [{"description": "Написать регламент", "assignee": "Бадыштова К.",
                                  "deadline": TASK_DUE, "status": "done", "done_on": "2026-12-10"}],
          "report_note": "Регламент утверждён"}
CLOSE2 = {"stage2_decision": "close", "stage2_conclusion": "Причина устранена"}
STAGE2_SHORT = [("qms_analysis", ANALYSIS_NONE), ("qms_close_stage2", CLOSE2)]


class Walker:
    def __init__(self, engine: ProcessEngine, number: str, fresh: bool) -> None:
        self.engine, self.number, self.fresh = engine, number, fresh

    def open_tasks(self) -> list[Task]:
        return list(db.session.scalars(select(Task).where(Task.business_key == self.number,
                                                          Task.status == "open")))

    def do(self, bpmn_id: str, data: dict[str, Any]) -> None:
        tasks = self.open_tasks()
        assert [t.bpmn_id for t in tasks] == [bpmn_id]
        engine = self.engine
        if self.fresh:
            db.session.expire_all()
            engine = ProcessEngine(db.session, self.engine.settings)
        engine.complete_task(tasks[0].id, data, Actor("tester"))

    def walk(self, steps: list[tuple[str, dict[str, Any]]]) -> Complaint:
        for bpmn_id, data in steps:
            self.do(bpmn_id, data)
        db.session.expire_all()
        return db.session.scalars(select(Complaint).where(Complaint.number == self.number)).one()


@pytest.fixture(params=[False, True], ids=["cached", "restored"])
def walker(request: pytest.FixtureRequest, engine: ProcessEngine, register: Any) -> Walker:
    return Walker(engine, register(), request.param)


def instance_of(number: str) -> ProcessInstance:
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()


def steps_done(number: str) -> list[str]:
    return [t.step for t in db.session.scalars(select(Task).where(
        Task.business_key == number, Task.status == "completed", Task.step.is_not(None)).order_by(
        Task.completed_at, Task.created_at))]


def test_correction_given_at_once_skips_implementation(walker: Walker) -> None:
    complaint = walker.walk([("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW),
                             ("verify", WORKS), ("handover", HANDOVER), ("qms_close_stage1", CLOSE1),
                             *STAGE2_SHORT])
    assert steps_done(walker.number) == ["1.1", "1.2", "1.3", "1.5", "1.6"]
    assert (complaint.stage1_status, complaint.stage2_status, complaint.stage) == ("closed", "closed", 2)
    assert (complaint.justification, complaint.importance, complaint.compensation) == \
        ("justified", "high", "apology")
    assert (complaint.satisfied, complaint.loyal) == (True, False)
    assert complaint.stage1_closed_at is not None and complaint.stage2_closed_at is not None
    assert [p.department for p in complaint.participants] == ["ДКС"]
    instance = instance_of(walker.number)
    assert instance.status == "completed" and instance.ended_at is not None


def test_correction_implemented_later_and_improvement_with_rework(walker: Walker) -> None:
    complaint = walker.walk([
        ("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_LATER),
        ("implement", IMPLEMENT), ("verify", WORKS), ("handover", HANDOVER), ("qms_close_stage1", CLOSE1),
        ("qms_analysis", ANALYSIS), ("qms_plan_actions", PLAN), ("report_actions", REPORT),
        ("qms_close_stage2", {"stage2_decision": "rework", "stage2_conclusion": "Нужен ещё контроль"}),
        ("qms_plan_actions", PLAN), ("report_actions", REPORT), ("qms_close_stage2", CLOSE2),
    ])
    assert steps_done(walker.number) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
    assert str(complaint.implementation_date) == AGREED
    assert [(n.department, n.description) for n in complaint.nonconformities] == \
        [("ДКС", "Нет регламента проверки скорости")]
    assert [(a.status, str(a.done_on)) for a in complaint.corrective_actions] == [("done", "2026-12-10")]
    assert complaint.stage2_status == "closed"


def test_not_our_department_reroutes_to_its_responsible(walker: Walker) -> None:
    walker.do("accept", {"belongs_to_department": False, "reassign_to": "ОПР", "accept_comment": "договор"})
    [task] = walker.open_tasks()
    assert (task.bpmn_id, task.candidate_group, task.assignee_id) == ("accept", "ОПР", None)
    complaint = db.session.scalars(select(Complaint).where(Complaint.number == walker.number)).one()
    assert complaint.department.code == "ОПР" and complaint.responsible.person_name == "Агибалова А."
    [event] = history_events("responsible_assigned")
    assert event.data == {"from_department": "ДКС", "department": "ОПР", "responsible": "Агибалова А."}


def test_passed_around_three_times_goes_to_qms(walker: Walker) -> None:
    for code in ("ОПР", "ОК", "ДКС"):
        walker.do("accept", {"belongs_to_department": False, "reassign_to": code})
    [task] = walker.open_tasks()
    assert (task.bpmn_id, task.candidate_group) == ("qms_route", "СМК")
    walker.do("qms_route", {"department": "ОМиР", "route_comment": "Реклама"})
    [task] = walker.open_tasks()
    assert (task.bpmn_id, task.candidate_group) == ("accept", "ОМиР")


def test_unreachable_client_goes_to_handover_after_three_attempts(walker: Walker) -> None:
    complaint = walker.walk([("accept", ACCEPT), ("first_contact", UNREACHED), ("first_contact", UNREACHED),
                             ("first_contact", UNREACHED), ("handover", HANDOVER),
                             ("qms_close_stage1", CLOSE1)])
    assert complaint.stage1_status == "closed" and complaint.correction is None
    [task] = walker.open_tasks()
    assert task.bpmn_id == "qms_analysis"


def test_fix_that_fails_loops_back_then_escalates_to_qms(walker: Walker) -> None:
    walker.walk([("accept", ACCEPT), ("first_contact", REACHED)])
    for _ in range(3):
        walker.walk([("correction", CORRECT_NOW), ("verify", FAILS)])
    [task] = walker.open_tasks()
    assert (task.bpmn_id, task.candidate_group) == ("qms_escalation", "СМК")
    walker.do("qms_escalation", {"escalation_decision": "retry", "escalation_note": "Новый подход"})
    complaint = walker.walk([("correction", CORRECT_NOW), ("verify", WORKS), ("handover", HANDOVER),
                             ("qms_close_stage1", CLOSE1)])
    assert complaint.stage1_status == "closed"
    assert steps_done(walker.number).count("1.3") == 4


def test_escalation_can_hand_over_for_closing(walker: Walker) -> None:
    walker.walk([("accept", ACCEPT), ("first_contact", REACHED)])
    for _ in range(3):
        walker.walk([("correction", CORRECT_NOW), ("verify", FAILS)])
    walker.do("qms_escalation", {"escalation_decision": "close", "escalation_note": "Клиент отказался"})
    assert [t.bpmn_id for t in walker.open_tasks()] == ["handover"]


def test_qms_returns_stage1_for_rework(walker: Walker) -> None:
    walker.walk([("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW),
                 ("verify", WORKS), ("handover", HANDOVER)])
    walker.do("qms_close_stage1", {"close_decision": "return", "close_comment": "Нет компенсации"})
    assert [t.bpmn_id for t in walker.open_tasks()] == ["correction"]


def test_stage2_does_not_close_over_an_undone_corrective_task_without_a_reason(walker: Walker) -> None:
    from engine.errors import InvalidInput

    unfinished = {"corrective_actions": [{**PLAN["corrective_actions"][0], "status": "in_progress"}],
                  "report_note": "Регламент на согласовании"}
    walker.walk([("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW), ("verify", WORKS),
                 ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), ("qms_analysis", ANALYSIS),
                 ("qms_plan_actions", PLAN), ("report_actions", unfinished)])
    with pytest.raises(InvalidInput) as refused:
        walker.do("qms_close_stage2", CLOSE2)
    assert list(refused.value.fields) == ["open_tasks_reason"]
    assert "Написать регламент" in refused.value.fields["open_tasks_reason"][0]
    db.session.rollback()
    complaint = walker.walk([("qms_close_stage2", {**CLOSE2, "open_tasks_reason": "Контроль — в плане аудита"})])
    assert complaint.stage2_status == "closed"
    closed = history_events("task_completed")[-1]
    assert closed.data["form"]["open_tasks_reason"] == "Контроль — в плане аудита"
