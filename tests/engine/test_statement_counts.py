"""The SQL each use case sends, counted (COMMIT excluded): counts are deterministic, unlike time. The
calendar's freshness check is forced into every transaction, the worst case a busy process meets."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from engine import Actor, ProcessEngine
from engine.time.deadlines import CalendarSource
from models import Task, db
from tests.conftest import complaint_input
from tests.history.helpers import BOTH_STAGES

STAGE1 = BOTH_STAGES[:6]
COMPLETION_BUDGET = 8
REGISTRATION_BUDGET = 15


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.seen.append(statement)

    def during(self, call: Callable[[], Any]) -> list[str]:
        self.seen = []
        call()
        sent, self.seen = self.seen, []
        return sent


@pytest.fixture
def statements(engine: ProcessEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    monkeypatch.setattr(CalendarSource, "RECHECK_SECONDS", 0.0)
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)


def _open_task(number: str) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def _stage1(engine: ProcessEngine, statements: Statements) -> tuple[list[str], dict[str, list[str]]]:
    registered: list[Any] = []
    registration = statements.during(
        lambda: registered.append(engine.register_appeal(complaint_input(), Actor("operator"))))
    [(_appeal, complaint)] = registered
    number = complaint.number
    completions = {}
    for bpmn_id, data in STAGE1:
        task = _open_task(number)
        assert task.bpmn_id == bpmn_id
        completions[bpmn_id] = statements.during(lambda t=task.id, d=data: engine.complete_task(t, d,
                                                                                               Actor("tester")))
    return registration, completions


def test_a_completion_sends_at_most_eight_statements_and_a_registration_fifteen(
        engine: ProcessEngine, statements: Statements) -> None:
    _stage1(engine, statements)  # the first lifecycle fills the process-wide caches (definitions, calendar)
    registration, completions = _stage1(engine, statements)
    assert len(registration) <= REGISTRATION_BUDGET, "\n".join(registration)
    for bpmn_id, sent in completions.items():
        assert len(sent) <= COMPLETION_BUDGET, f"{bpmn_id}:\n" + "\n".join(sent)
    # What the budget buys: the instance and its task are read in one locked query, and each table written
    # once, whatever the step changes.
    correction = completions["correction"]
    assert sum(s.lstrip().upper().startswith("SELECT") for s in correction) == 2  # the lock, the calendar
    assert sum(" task " in f" {s.split('(')[0]} " for s in correction if s.startswith("INSERT")) == 1


def test_without_the_warm_cache_a_completion_reads_its_rows_once(engine: ProcessEngine,
                                                                 statements: Statements) -> None:
    engine.runtime.warm.size = 0
    _stage1(engine, statements)
    _registration, completions = _stage1(engine, statements)
    for bpmn_id, sent in completions.items():
        # The state, the open tasks, the timers and the deadlines are read once each on top of the budget.
        assert len(sent) <= COMPLETION_BUDGET + 4, f"{bpmn_id}:\n" + "\n".join(sent)
        assert sum("FROM deadline" in s for s in sent) == 1, f"{bpmn_id}:\n" + "\n".join(sent)
