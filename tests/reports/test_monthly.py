"""The monthly report's figures against the hand-made October (tests/reports/october.py); every expected
number below was worked out by hand from that fixture, not by the code under test."""
from __future__ import annotations

import pytest
import time_machine

from engine import ProcessEngine
from engine.errors import InvalidInput
from tests.reports import october


@pytest.fixture
def report(engine: ProcessEngine) -> dict:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        return engine.monthly_report("2026-10")


def test_intake_counts_by_type_channel_department_and_kind(report: dict) -> None:
    assert report["month"] == "2026-10"
    assert report["received"] == 3  # C1, C2 and C3 (registered at 00:30 Moscow on 1 October)
    assert report["appeals_received"] == 4
    assert report["by_type"] == {"complaint": 3, "objection": 0, "request": 0, "interest": 0, "gratitude": 1,
                                 "suggestion": 0}
    assert report["by_channel"] == {"phone": 2, "email": 1}
    assert report["by_department"] == {"ДКС": 2, "ОПР": 1}
    assert report["by_kind"] == {"external": 2, "internal": 1}
    assert report["justification"] == {"justified": 1, "partly_justified": 0, "unjustified": 1, "undetermined": 1}


def test_loyalty_and_satisfaction_are_separate_shares_of_stage1_closed_in_the_month(report: dict) -> None:
    assert report["closed_stage1"] == 3  # C1, C2, and C4 from September
    assert (report["loyal"], report["satisfied"]) == (2, 1)
    assert report["loyalty_percent"] == 66.7
    assert report["satisfaction_percent"] == 33.3
    assert report["closed_within_goal_percent"] == 33.3  # only C1 by its 5-day goal
    assert report["closed_within_limit_percent"] == 66.7  # C4 closed the day after its 14-day limit
    assert report["median_hours_to_close_stage1"] == 97.5  # C1 29 h, C2 97.5 h, C4 128 h of working time


def test_on_time_per_step_department_and_responsible(report: dict) -> None:
    assert report["steps_counted"] == 10
    assert report["on_time_percent"] == 60.0
    by_step = {r["name"]: (r["counted"], r["on_time"], r["percent"]) for r in report["on_time_by_step"]}
    assert by_step == {"1.1": (3, 2, 66.7), "1.2": (2, 1, 50.0), "1.3": (1, 1, 100.0), "1.4": (0, 0, None),
                       "1.5": (0, 0, None), "1.6": (4, 2, 50.0)}
    assert [(r["name"], r["counted"], r["percent"]) for r in report["on_time_by_department"]] == [
        ("ДКС", 6, 83.3), ("ОПР", 4, 25.0)]
    assert [(r["name"], r["percent"]) for r in report["on_time_by_responsible"]] == [
        ("Агибалова А.", 25.0), ("Бадыштова К.", 83.3)]
    assert report["median_hours_by_step"] == {"1.1": 0.8, "1.2": 2.0, "1.3": 17.0, "1.4": None, "1.5": None,
                                              "1.6": 96.5}


def test_repeats_compensations_and_the_pareto_of_nonconformities(report: dict) -> None:
    assert report["repeat_counterparties"] == [
        {"counterparty": "АО «Бета»", "inn": "6165456519", "this_month": 1, "last_12_months": 3},
        {"counterparty": "ООО «Альфа»", "inn": "7707083893", "this_month": 2, "last_12_months": 2}]
    assert report["compensations"] == {"apology": 2, "none": 1}
    causes = report["nonconformities"]
    assert causes["department"] == [{"name": "ДКС", "count": 2, "cumulative_percent": 66.7},
                                    {"name": "ОПР", "count": 1, "cumulative_percent": 100.0}]
    assert [(r["name"], r["count"]) for r in causes["process"]] == [("Обратный звонок", 2), ("Продажа", 1)]
    assert [(r["name"], r["count"]) for r in causes["product"]] == [("1С:БП", 2), ("—", 1)]


def test_the_yearly_charts_and_the_monthly_trend(report: dict) -> None:
    charts = report["charts"]
    assert charts["justification_by_year"] == [
        {"year": "2025", "justified": 0, "partly_justified": 0, "unjustified": 1, "undetermined": 0, "received": 1},
        {"year": "2026", "justified": 2, "partly_justified": 1, "unjustified": 1, "undetermined": 1, "received": 5}]
    assert charts["loyalty_by_year"] == [
        {"year": "2025", "closed": 1, "loyal": 1, "loyalty_percent": 100.0, "satisfaction_percent": 100.0},
        {"year": "2026", "closed": 4, "loyal": 2, "loyalty_percent": 50.0, "satisfaction_percent": 25.0}]
    trend = {r["month"]: (r["counted"], r["percent"]) for r in charts["on_time_by_month"]}
    assert len(trend) == 12 and min(trend) == "2025-11" and max(trend) == "2026-10"
    assert trend["2026-10"] == (10, 60.0) and trend["2026-03"] == (1, 100.0) and trend["2026-09"] == (0, None)


def test_a_month_with_nothing_closed_gives_null_percentages(engine: ProcessEngine) -> None:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        empty = engine.monthly_report("2026-08")
    assert (empty["received"], empty["closed_stage1"]) == (0, 0)
    assert empty["loyalty_percent"] is None and empty["satisfaction_percent"] is None
    assert empty["on_time_percent"] is None


@pytest.mark.parametrize("bad", ["2026-13", "2026/10", "", "october"])
def test_a_bad_month_is_refused_with_a_field_message(engine: ProcessEngine, bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        engine.monthly_report(bad)
    assert refused.value.fields == {"month": ["Give the month as YYYY-MM, e.g. 2026-11."]}
