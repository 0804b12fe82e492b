"""Replay check: closed complaints' recorded task data through another version, in memory, nothing written."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import Bundle, ProcessEngine
from engine.errors import InvalidDefinition
from models import Base, db
from tests.engine.test_paths import (
    ACCEPT,
    CLOSE1,
    CORRECT_NOW,
    HANDOVER,
    REACHED,
    STAGE2_SHORT,
    UNREACHED,
    WORKS,
    Walker,
)

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
AT_ONCE = [("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW), ("verify", WORKS),
           ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), *STAGE2_SHORT]
UNREACHABLE = [("accept", ACCEPT), ("first_contact", UNREACHED), ("first_contact", UNREACHED),
               ("first_contact", UNREACHED), ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), *STAGE2_SHORT]


def shipped() -> Bundle:
    return Bundle.from_directory(PROCESSES)


def edited(old: str, new: str, file: str = "stage1_correction.bpmn") -> Bundle:
    bundle = shipped()
    assert old in bundle.bpmn[file]
    return Bundle({**bundle.bpmn, file: bundle.bpmn[file].replace(old, new)}, bundle.forms)


def close(engine: ProcessEngine, register: Any, steps: list[tuple[str, dict[str, Any]]]) -> str:
    walker = Walker(engine, register(), False)
    walker.walk(steps)
    return walker.number


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def closed(engine: ProcessEngine, register: Any) -> dict[str, str]:
    return {"at_once": close(engine, register, AT_ONCE), "unreachable": close(engine, register, UNREACHABLE)}


def test_the_deployed_version_replays_every_closed_complaint_on_its_own_path(engine: ProcessEngine,
                                                                           closed: dict[str, str],
                                                                           register: Any) -> None:
    register()  # a running complaint is not replayed
    report = engine.replay_check("complaint", version=1)
    assert report["summary"] == {"same": 2, "different": 0, "failed": 0, "total": 2}
    by_key = {r["business_key"]: r for r in report["results"]}
    assert by_key[closed["at_once"]]["path"] == [step for step, _ in AT_ONCE] + ["end"]
    assert by_key[closed["unreachable"]]["path"].count("first_contact") == 3


def test_a_changed_condition_reports_the_element_the_path_turns_at(engine: ProcessEngine,
                                                                  closed: dict[str, str]) -> None:
    # Two attempts to reach the client instead of three: the third recorded first contact is never offered.
    draft = edited("contact_attempts &gt;= max_contact_attempts", "contact_attempts &gt;= 2")
    report = engine.replay_check("complaint", bundle=draft)
    by_key = {r["business_key"]: r for r in report["results"]}
    assert by_key[closed["at_once"]]["outcome"] == "same"
    turned = by_key[closed["unreachable"]]
    assert (turned["outcome"], turned["after"], turned["expected"], turned["reached"]) == \
        ("different", "first_contact", "first_contact", ["handover"])
    assert turned["path"] == ["accept", "first_contact", "first_contact"]
    assert report["summary"] == {"same": 1, "different": 1, "failed": 0, "total": 2}


def test_a_failing_script_names_its_element_and_error(engine: ProcessEngine, closed: dict[str, str]) -> None:
    draft = edited('<bpmn:script>stage1_status = "closed"</bpmn:script>',
                   '<bpmn:script>stage1_status = closing_status</bpmn:script>')
    report = engine.replay_check("complaint", bundle=draft)
    assert {r["outcome"] for r in report["results"]} == {"failed"}
    failed = report["results"][0]
    assert failed["element"] == "s1_closed" and "closing_status" in failed["error"]
    assert failed["path"][-1] == "handover"  # completing qms_close_stage1 ran into the script


def test_a_form_that_refuses_the_recorded_data_is_a_failure_at_its_task(engine: ProcessEngine,
                                                                       closed: dict[str, str]) -> None:
    bundle = shipped()
    form = {**bundle.forms["handover.json"]}
    form["properties"] = {**form["properties"], "handover_summary": {"type": "string", "maxLength": 3}}
    report = engine.replay_check("complaint", bundle=Bundle(bundle.bpmn, {**bundle.forms, "handover.json": form}))
    failed = report["results"][0]
    assert (failed["outcome"], failed["element"]) == ("failed", "handover")
    assert "handover_summary" in failed["error"]


def test_a_new_step_at_the_end_is_a_different_path_ending_elsewhere(engine: ProcessEngine,
                                                                   closed: dict[str, str]) -> None:
    draft = edited('sourceRef="s1_closed" targetRef="s1_end"', 'sourceRef="s1_closed" targetRef="extra_check"')
    draft = Bundle({**draft.bpmn, "stage1_correction.bpmn": draft.bpmn["stage1_correction.bpmn"].replace(
        '<bpmn:endEvent id="s1_end"', '<bpmn:userTask id="extra_check" name="Ещё проверка"/>'
        '<bpmn:sequenceFlow id="f_extra" sourceRef="extra_check" targetRef="s1_end"/><bpmn:endEvent id="s1_end"')},
        draft.forms)
    report = engine.replay_check("complaint", bundle=draft)
    turned = report["results"][0]
    assert (turned["outcome"], turned["after"], turned["expected"], turned["reached"]) == \
        ("different", "qms_close_stage1", "qms_analysis", ["extra_check"])


def test_nothing_is_written(engine: ProcessEngine, closed: dict[str, str]) -> None:
    before = row_counts()
    states = db.session.execute(select(Base.metadata.tables["process_instance"].c.state)).scalars().all()
    engine.replay_check("complaint", bundle=edited("contact_attempts &gt;= max_contact_attempts",
                                                   "contact_attempts &gt;= 2"))
    engine.replay_check("complaint", version=1)
    db.session.rollback()
    assert row_counts() == before
    assert db.session.execute(select(Base.metadata.tables["process_instance"].c.state)).scalars().all() == states


def test_an_invalid_bundle_is_refused_before_anything_runs(engine: ProcessEngine, closed: dict[str, str]) -> None:
    with pytest.raises(InvalidDefinition):
        engine.replay_check("complaint", bundle=edited('<bpmn:script>stage1_status = "closed"</bpmn:script>',
                                                       "<bpmn:script>import os</bpmn:script>"))


def test_limit_takes_the_newest_closed(engine: ProcessEngine, closed: dict[str, str]) -> None:
    report = engine.replay_check("complaint", version=1, limit=1)
    assert [r["business_key"] for r in report["results"]] == [closed["unreachable"]]
