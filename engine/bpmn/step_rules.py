"""Rules of a step that its form schema cannot state, because they read what the process already holds."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import InvalidInput
from engine.messages import Message

OPEN_TASKS_REASON = "open_tasks_reason"


def _stage2_close(data: dict[str, Any], held: dict[str, Any]) -> dict[str, list[str]]:
    """Stage 2 closes only when every corrective task is done, unless QMS says why (kept in the history)."""
    if data.get("stage2_decision") != "close":
        return {}
    actions = held.get("corrective_actions") or []
    not_done = [a.get("description", "?") for a in actions if isinstance(a, dict) and a.get("status") != "done"]
    if not_done and not str(data.get(OPEN_TASKS_REASON) or "").strip():
        return {OPEN_TASKS_REASON: [Message(
            "Corrective tasks not done: {tasks}. Give the reason to close stage 2 anyway.", tasks="; ".join(not_done))]}
    return {}


RULES: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, list[str]]]] = {
    "qms_close_stage2": _stage2_close,
}


def check(bpmn_id: str, data: dict[str, Any], held: dict[str, Any]) -> None:
    """Raise InvalidInput when the step's data breaks a rule; `held` is the task's data before."""
    rule = RULES.get(bpmn_id)
    if rule is not None and (problems := rule(data, held)):
        raise InvalidInput("The form has errors.", problems)
