"""A complaint walked to stage 2 with two corrective tasks planned, for the register's tests."""
from __future__ import annotations

from typing import Any

from engine import ProcessEngine
from tests.engine.test_paths import ACCEPT, ANALYSIS, CLOSE1, CORRECT_NOW, HANDOVER, REACHED, TASK_DUE, WORKS, Walker

PLAN_TWO = {"corrective_actions": [
    {"description": "Написать регламент проверки скорости", "assignee": "Бадыштова К.", "deadline": TASK_DUE},
    {"description": "Обучить инженеров", "assignee": "Отдел кадров", "deadline": TASK_DUE}]}


def at_corrective_work(engine: ProcessEngine, register: Any, analysis: dict[str, Any] | None = None,
                       plan: dict[str, Any] | None = None, **overrides: Any) -> str:
    """Register a complaint and walk it to the department's report of corrective tasks."""
    number: str = register(**overrides)
    Walker(engine, number, False).walk([
        ("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW), ("verify", WORKS),
        ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), ("qms_analysis", analysis or ANALYSIS),
        ("qms_plan_actions", plan or PLAN_TWO)])
    return number


def analysis_of(department: str, process: str, product: str, description: str) -> dict[str, Any]:
    return {**ANALYSIS, "nonconformities": [{"department": department, "process": process, "product": product,
                                             "description": description}]}
