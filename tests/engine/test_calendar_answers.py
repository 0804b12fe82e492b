"""A calendar answers a question it was asked before from memory: the same answer as working it out again,
whichever time zone the moment was given in, and a calendar with other overrides works it out afresh."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.time import calendar as work_calendar
from engine.time.calendar import DayOverride, WorkCalendar

MSK = ZoneInfo("Europe/Moscow")
START = dt.datetime(2025, 12, 29, 16, 30, tzinfo=MSK)  # before the New Year holidays: a long span


def _questions(cal: WorkCalendar) -> list[Any]:
    due = cal.end_of_working_day(START, 14)
    return [cal.add_working_hours(START, 3), cal.add_working_hours(START, 0.5), due,
            cal.nth_working_day_after(START, 3), cal.working_time_between(START, due),
            cal.fraction_of(START, due, 0.75)]


def test_answers_from_memory_equal_answers_worked_out(monkeypatch: pytest.MonkeyPatch) -> None:
    cal = WorkCalendar()
    first = _questions(cal)
    worked = []
    for name in ("_add_working_hours", "_nth_working_day_after", "_working_time_between"):
        original = getattr(WorkCalendar, name)

        def counted(self: WorkCalendar, *args: Any, _original: Any = original, _name: str = name) -> Any:
            worked.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(WorkCalendar, name, counted)
    assert _questions(cal) == first
    assert worked == []  # every answer came from memory
    # The same instant in another zone is the same question.
    assert cal.add_working_hours(START.astimezone(dt.UTC), 3) == first[0] and worked == []
    assert _questions(WorkCalendar()) == first  # a fresh calendar works them out to the same answers
    assert len(worked) >= 5


def test_a_calendar_with_an_override_does_not_share_answers() -> None:
    plain = WorkCalendar()
    assert plain.add_working_hours(START, 3).astimezone(MSK) == dt.datetime(2025, 12, 30, 10, 30, tzinfo=MSK)
    day_off = WorkCalendar(overrides={dt.date(2025, 12, 30): DayOverride(dt.date(2025, 12, 30), "day_off")})
    # 29 Dec ends at 18:00 (1.5 h); 30 Dec is off now and 31 Dec is a day off already: the rest falls in January.
    assert day_off.add_working_hours(START, 3) > plain.add_working_hours(START, 3)
    assert plain.add_working_hours(START, 3).astimezone(MSK) == dt.datetime(2025, 12, 30, 10, 30, tzinfo=MSK)


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(work_calendar, "MAX_ANSWERS", 5)
    cal = WorkCalendar()
    for hours in range(12):
        cal.add_working_hours(START, hours)
    assert len(cal._answers) <= 5
    assert cal.add_working_hours(START, 11) == WorkCalendar().add_working_hours(START, 11)


class _ClearedAfterEachLook(dict):  # type: ignore[type-arg]
    """Answers as another thread would leave them: cleared (at MAX_ANSWERS) right after any look."""

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        self.clear()
        return found

    def __getitem__(self, key: Any) -> Any:
        found = super().__getitem__(key)
        self.clear()
        return found

    def get(self, key: Any, default: Any = None) -> Any:
        found = super().get(key, default)
        self.clear()
        return found


def test_an_answer_cleared_by_another_thread_meanwhile_is_still_answered() -> None:
    cal = WorkCalendar()
    first = cal.add_working_hours(START, 4)
    cal._answers = _ClearedAfterEachLook(cal._answers)
    assert cal.add_working_hours(START, 4) == first  # one look, no KeyError between a test and a read
