"""Deploy-time checks of a bundle: known helpers only, a valid form for each user task, lanes that map to a group,
timer expressions that evaluate on sample data, capped loops; every problem named with its element."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Actor, Bundle, ProcessEngine
from engine.errors import InvalidDefinition
from models import ProcessDefinition, db

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
STAGE1 = "stage1_correction.bpmn"


def edited(old: str, new: str, file: str = STAGE1, forms: dict | None = None) -> Bundle:
    shipped = Bundle.from_directory(PROCESSES)
    assert old in shipped.bpmn[file], old
    return Bundle({**shipped.bpmn, file: shipped.bpmn[file].replace(old, new, 1)},
                  forms if forms is not None else shipped.forms)


def problems_of(engine: ProcessEngine, bundle: Bundle) -> list[dict[str, str]]:
    with pytest.raises(InvalidDefinition) as refused:
        engine.validate("complaint", bundle)
    with pytest.raises(InvalidDefinition):
        engine.deploy("complaint", bundle, Actor("Владелец"), "не должно развернуться")
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 1
    return refused.value.problems


def test_the_shipped_diagrams_pass_every_check(engine: ProcessEngine) -> None:
    engine.validate("complaint", Bundle.from_directory(PROCESSES))


def test_an_unknown_helper_is_named_on_its_element(engine: ProcessEngine) -> None:
    found = problems_of(engine, edited("contact_attempts = contact_attempts + 1",
                                       "contact_attempts = contact_attempts + 1\nnotify_boss(complaint_number)"))
    assert [(p["element"], p["message"]) for p in found] == [
        ("count_attempt", "script calls notify_boss(), which is not a known helper")]


def test_a_condition_calling_an_unknown_function_is_refused(engine: ProcessEngine) -> None:
    found = problems_of(engine, edited("<bpmn:conditionExpression>client_reached</bpmn:conditionExpression>",
                                       "<bpmn:conditionExpression>crm_lookup(client_reached)</bpmn:conditionExpression>"))
    assert [p["element"] for p in found] == ["gw_reached"] and "crm_lookup()" in found[0]["message"]


def test_a_user_task_without_a_form_or_with_a_broken_one(engine: ProcessEngine) -> None:
    shipped = Bundle.from_directory(PROCESSES)
    no_form = edited('<spiffworkflow:property name="form" value="accept.json"/>', "")
    assert [(p["element"], p["message"]) for p in problems_of(engine, no_form)] == [
        ("accept", "user task has no form")]
    broken = {**shipped.forms, "verify.json": {**shipped.forms["verify.json"], "type": "nothing"}}
    found = problems_of(engine, Bundle(shipped.bpmn, broken))
    assert {p.get("element") for p in found} == {None, "verify"}
    assert any(p.get("file") == "forms/verify.json" for p in found)


def test_a_lane_no_group_answers_for(engine: ProcessEngine) -> None:
    found = problems_of(engine, edited('<bpmn:lane id="lane_qms" name="СМК">',
                                       '<bpmn:lane id="lane_qms" name="Склад">'))
    assert [p["element"] for p in found] == ["lane_qms"] and "Склад" in found[0]["message"]


def test_a_timer_that_fails_on_sample_data(engine: ProcessEngine) -> None:
    typo = edited("<bpmn:timeDate>working_days_after(received_at, 3)</bpmn:timeDate>",
                  "<bpmn:timeDate>working_days_after(recieved_at, 3)</bpmn:timeDate>")
    [found] = problems_of(engine, typo)
    assert found["element"] == "correction_breach" and "recieved_at" in found["message"]
    naive = edited("<bpmn:timeDate>working_days_after(received_at, 3)</bpmn:timeDate>",
                   "<bpmn:timeDate>\"2026-12-01T10:00:00\"</bpmn:timeDate>")
    [found] = problems_of(engine, naive)
    assert found["element"] == "correction_breach" and "without a UTC offset" in found["message"]


def test_a_loop_without_a_cap(engine: ProcessEngine) -> None:
    # "Try again" goes straight back to counting: a loop with no person in it, capped by its counter...
    automatic = 'sourceRef="gw_attempts" targetRef="count_attempt"'
    capped = edited('sourceRef="gw_attempts" targetRef="first_contact"', automatic)
    engine.validate("complaint", capped)
    # ...and with the counter no longer compared, nothing stops it.
    uncapped = Bundle({**capped.bpmn, STAGE1: capped.bpmn[STAGE1].replace(
        "contact_attempts &gt;= max_contact_attempts", "client_gave_up")}, capped.forms)
    [found] = problems_of(engine, uncapped)
    assert found["element"] == "count_attempt"
    assert found["message"].startswith("loop through count_attempt, gw_attempts has no cap")


def test_the_same_content_deployed_twice_is_one_version(engine: ProcessEngine) -> None:
    bundle = edited('name="Учесть попытку связи"', 'name="Учесть ещё одну попытку"')
    first = engine.deploy("complaint", bundle, Actor("Владелец"), "Переименовали шаг")
    again = engine.deploy("complaint", bundle, Actor("Владелец"), "Ещё раз")
    assert (first.id, first.version) == (again.id, 2)
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 2
