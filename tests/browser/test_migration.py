"""The owner in Chromium: a complaint failed on a broken version, the fixed version deployed, the instance previewed
and moved to it, its diagram on the new version with the four states, and the incident retried."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import Actor, Bundle, ProcessEngine
from models import Incident, InstanceEvent, ProcessInstance, Task, db
from tests.browser.conftest import shot, sign_in
from tests.browser.test_processes import ACTIVE, COMPLETED, FAILED, OVERDUE, failed_complaint, fill_of, open_task

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def fixed_version(engine: ProcessEngine) -> int:
    bundle = Bundle.from_directory(PROCESSES)
    fixed = bundle.bpmn["stage1_correction.bpmn"].replace(
        "contact_attempts = contact_attempts + 1", "contact_attempts = contact_attempts + 1  # counted again")
    return engine.deploy("complaint", Bundle({**bundle.bpmn, "stage1_correction.bpmn": fixed}, bundle.forms),
                         Actor("Владелец процесса"), "Исправлен счётчик попыток").version


def test_owner_moves_a_failed_instance_to_the_fixed_version_and_retries_it(page: Any, live_server: str,
                                                                          engine: ProcessEngine,
                                                                          register: Any) -> None:
    number, incident_id = failed_complaint(engine, register)
    waiting_task = open_task(number).id
    assert fixed_version(engine) == 3
    sign_in(page, live_server, "owner")
    page.click("header nav >> text=Процессы")
    page.click("[data-key=complaint] [data-test=owner-checks] >> text=Перенос экземпляров")
    page.select_option("[data-test=migrate-form] select[name=from]", "2")
    page.select_option("[data-test=migrate-form] select[name=to]", "3")
    page.click("[data-test=preview]")
    row = page.locator(f"[data-test=migrate-results] tr[data-number='{number}']")
    assert row.get_attribute("data-can-move") == "true" and "можно перенести" in row.inner_text()
    assert page.locator(f"tr[data-number='{number}'] input[name=instance]").is_checked()
    db.session.expire_all()
    assert db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.business_key == number)).one().definition.version == 2  # the preview moved nothing
    shot(page, "35-migration-preview")
    page.click("[data-test=migrate]")
    page.wait_for_selector(".flash.ok")
    assert page.locator(f"tr[data-number='{number}']").get_attribute("data-moved") == "true"
    shot(page, "36-migrated")

    page.goto(f"{live_server}/complaints/{number}/diagram")
    page.wait_for_selector("[data-shown-file='stage1_correction.bpmn'] .state-failed")
    assert page.inner_text("[data-test=version]") == "3"
    assert (fill_of(page, "accept"), fill_of(page, "first_contact"), fill_of(page, "count_attempt")) == (
        COMPLETED, OVERDUE, FAILED)
    page.click("[data-file='complaint.bpmn']")
    page.wait_for_selector("[data-shown-file='complaint.bpmn'] .state-active")
    assert (fill_of(page, "stage1"), fill_of(page, "registered")) == (ACTIVE, COMPLETED)
    shot(page, "37-migrated-diagram")

    page.goto(f"{live_server}/incidents")
    page.locator(f"tr[data-incident='{incident_id}'] [data-test=retry]").click()
    page.wait_for_selector(".flash.ok")
    db.session.expire_all()
    assert db.session.get(Incident, incident_id).resolved_at is not None
    kinds = [e.kind for e in db.session.scalars(select(InstanceEvent).join(ProcessInstance).where(
        ProcessInstance.business_key == number).order_by(InstanceEvent.id))]
    assert kinds.index("migrated") < kinds.index("incident_retried")
    # The step that failed on version 2 now runs on version 3: the attempt is counted, contact is asked again.
    assert open_task(number).id == waiting_task
    engine.complete_task(waiting_task, {"client_reached": False, "contact_summary": "Не отвечает"},
                         Actor("Петров П. П."))
    again = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
    assert again.bpmn_id == "first_contact" and again.id != waiting_task
    sign_in(page, live_server, "qms")
    assert page.goto(f"{live_server}/processes/complaint/migrate").status == 403


def test_owner_replays_closed_complaints_through_a_version(page: Any, live_server: str, engine: ProcessEngine,
                                                          register: Any) -> None:
    from tests.engine.test_replay import UNREACHABLE, close, edited

    number = close(engine, register, UNREACHABLE)
    engine.deploy("complaint", edited("contact_attempts &gt;= max_contact_attempts", "contact_attempts &gt;= 2"),
                  Actor("Владелец процесса"), "Две попытки связи")
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server}/processes")
    page.click("[data-key=complaint] [data-test=owner-checks] >> text=Проверка на закрытых претензиях")
    page.select_option("[data-test=replay-form] select[name=version]", "2")
    page.click("[data-test=replay]")
    row = page.locator(f"[data-test=replay-results] tr[data-number='{number}']")
    assert row.get_attribute("data-outcome") == "different"
    assert "другой путь" in row.inner_text() and "handover" in row.inner_text()
    assert page.inner_text("[data-test=different]") == "1"
    shot(page, "38-replay")
    page.fill("[data-test=replay-form] input[name=limit]", "0")
    page.click("[data-test=replay]")
    assert page.inner_text("[data-test=replay-form] .field-error") == "От 1 до 500."
    assert page.input_value("[data-test=replay-form] input[name=limit]") == "0"
