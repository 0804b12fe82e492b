"""Dates a form asks about the future: refused when new and in the past, kept when the process set them."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from engine.bpmn import forms
from engine.errors import InvalidInput

FORMS = Path(__file__).resolve().parents[2] / "processes/forms"
TODAY = dt.date(2026, 11, 27)


def report(deadline: str) -> dict[str, object]:
    return {"corrective_actions": [{"description": "Регламент", "assignee": "Иванов", "deadline": deadline,
                                    "status": "in_progress"}], "report_note": "В работе"}


def test_a_corrective_task_deadline_moved_into_the_past_is_refused() -> None:
    schema = json.loads((FORMS / "report_actions.json").read_text())
    with pytest.raises(InvalidInput) as refused:
        forms.validate(schema, report("2026-11-20"), lambda *_: True, TODAY, report("2026-12-20"))
    assert refused.value.fields == {"corrective_actions.0.deadline": ["The date cannot be in the past."]}


def test_an_overdue_deadline_planned_earlier_is_reported_unchanged() -> None:
    schema = json.loads((FORMS / "report_actions.json").read_text())
    forms.validate(schema, report("2026-11-20"), lambda *_: True, TODAY, report("2026-11-20"))


def test_today_is_not_the_past() -> None:
    schema = json.loads((FORMS / "qms_plan_actions.json").read_text())
    plan = {"corrective_actions": [{"description": "Регламент", "assignee": "Иванов", "deadline": "2026-11-27"}]}
    forms.validate(schema, plan, lambda *_: True, TODAY, {})
    with pytest.raises(InvalidInput):
        forms.validate(schema, {"corrective_actions": [{**plan["corrective_actions"][0], "deadline": "2026-11-26"}]},
                       lambda *_: True, TODAY, {})
