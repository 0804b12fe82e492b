"""The weekly review and the KPIs against the hand-made October; the weights QMS sets, audited."""
from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.errors import InvalidInput
from models import AuditLog, db
from tests.reports import october


def test_week_43_flags_due_overdue_and_closed(engine: ProcessEngine) -> None:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        review = engine.weekly_review("2026-W43")
    flags = {r["number"]: (r["received"], r["due"], r["overdue"], r["closed"], r["late_steps"])
             for r in review["rows"]}
    assert flags == {
        "P2610050001": (False, True, False, False, []),  # C1: its 14-day limit falls on 23 October
        "P2610060001": (False, False, False, True, []),  # C2: closed on 20 October
        "P2610010001": (False, True, True, False, ["1.2", "1.6"]),  # C3: open, two steps past their deadline
    }
    assert review["totals"] == {"received": 0, "due": 2, "overdue": 1, "closed": 1}
    c2 = next(r for r in review["rows"] if r["number"] == "P2610060001")
    assert c2["stage1_due_at"] == october.at(2026, 10, 26, 18)  # shown even when it falls in another week
    assert [(g["department"], g["responsible"], g["due"], g["overdue"]) for g in review["by_group"]] == [
        ("ДКС", "Бадыштова К.", 1, 0), ("ОПР", "Агибалова А.", 1, 1)]


def test_week_40_judges_overdue_as_of_its_own_end(engine: ProcessEngine) -> None:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        review = engine.weekly_review("2026-W40")
    assert [(r["number"], r["received"], r["late_steps"]) for r in review["rows"]] == [
        ("P2610010001", True, ["1.2"])]  # C3's 14-day limit (21 October) had not passed by 5 October


def test_a_head_sees_only_their_departments(engine: ProcessEngine) -> None:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        review = engine.weekly_review("2026-W43", departments=["ДКС"])
    assert {r["number"] for r in review["rows"]} == {"P2610050001", "P2610060001"}


def test_kpis_per_responsible_with_default_weights(engine: ProcessEngine) -> None:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        data = engine.kpis("2026-10")
    assert data["weights"] == {"on_time": 40, "goal": 20, "loyalty": 30, "volume": 10}
    rows = {r["responsible"]: r for r in data["responsibles"]}
    dks, opr = rows["Бадыштова К."], rows["Агибалова А."]
    # ДКС: steps 5 of 6 on time; C1 and C2 closed, C1 within the goal, C1 loyal; the most handled (2).
    assert (dks["handled"], dks["on_time_percent"], dks["closed_within_goal_percent"], dks["loyalty_percent"],
            dks["volume_percent"]) == (2, 83.3, 50.0, 50.0, 100.0)
    assert dks["median_hours_to_close"] == 63.2  # median of 29 h and 97.5 h
    assert dks["on_time_by_step"] == {"1.1": 50.0, "1.2": 100.0, "1.3": 100.0, "1.4": None, "1.5": None,
                                      "1.6": 100.0}
    assert dks["score"] == 68.3  # (40·83.3 + 20·50 + 30·50 + 10·100) / 100 = 68.32
    # ОПР: 1 of 4 steps on time; C4 closed late and loyal; half the volume of ДКС.
    assert (opr["handled"], opr["on_time_percent"], opr["closed_within_goal_percent"], opr["loyalty_percent"],
            opr["volume_percent"]) == (1, 25.0, 0.0, 100.0, 50.0)
    assert opr["score"] == 45.0  # (40·25 + 20·0 + 30·100 + 10·50) / 100
    assert [r["responsible"] for r in data["responsibles"]] == ["Бадыштова К.", "Агибалова А."]


def test_qms_sets_the_weights_and_the_scores_follow(engine: ProcessEngine) -> None:
    october.build()
    engine.set_kpi_weights({"on_time": "100", "goal": "0", "loyalty": "0", "volume": "0"}, Actor("Матвеева Анна"))
    with time_machine.travel(october.NOW, tick=False):
        rows = {r["responsible"]: r["score"] for r in engine.kpis("2026-10")["responsibles"]}
    assert rows == {"Бадыштова К.": 83.3, "Агибалова А.": 25.0}
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "kpi_weights_set")).one()
    assert audit.actor == "Матвеева Анна"
    assert audit.data["before"]["on_time"] == 40 and audit.data["after"]["on_time"] == 100


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"on_time": "x", "goal": 1, "loyalty": 1, "volume": 1}, "on_time", "Give a whole number from 0 to 100."),
    ({"on_time": 101, "goal": 1, "loyalty": 1, "volume": 1}, "on_time", "Give a whole number from 0 to 100."),
    ({"on_time": 0, "goal": 0, "loyalty": 0, "volume": 0}, "weights", "At least one weight must be above zero."),
])
def test_bad_weights_are_refused_and_nothing_changes(engine: ProcessEngine, values: dict, field: str,
                                                     message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        engine.set_kpi_weights(values, Actor("qms"))
    assert refused.value.fields[field] == [message]
    assert engine.kpis("2026-10")["weights"]["on_time"] == 40
