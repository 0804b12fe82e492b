"""Process owners and QMS in Chromium: the versions page with its diagram, an instance on its diagram with the four
states, and the incidents page with retry and resolve."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine import Actor, Bundle, ProcessEngine
from engine.errors import StepFailed
from models import Incident, Task, db
from tests.browser.conftest import shot, sign_in
from tests.conftest import history_events

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
# The fills app.css gives each state.
COMPLETED, ACTIVE = "rgb(215, 240, 221)", "rgb(219, 232, 255)"
OVERDUE, FAILED = "rgb(255, 230, 199)", "rgb(253, 216, 213)"


def fill_of(page: Any, element_id: str) -> str:
    return page.eval_on_selector(f"[data-element-id={element_id}] .djs-visual > :first-child",
                                 "node => getComputedStyle(node).fill")


def open_task(number: str) -> Task:
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def broken_attempt_counter(engine: ProcessEngine) -> None:
    bundle = Bundle.from_directory(PROCESSES)
    broken = bundle.bpmn["stage1_correction.bpmn"].replace("contact_attempts = contact_attempts + 1",
                                                           "contact_attempts = contact_attempts / 0")
    engine.deploy("complaint", Bundle({**bundle.bpmn, "stage1_correction.bpmn": broken}, bundle.forms),
                  Actor("Владелец процесса"), "Сломанный счётчик попыток")


def failed_complaint(engine: ProcessEngine, register: Any) -> tuple[str, int]:
    """A complaint on the broken version, received two weeks ago: 1.1 done, 1.2 overdue, the counter failed."""
    broken_attempt_counter(engine)
    number = register(received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=14))
    engine.complete_task(open_task(number).id, {"belongs_to_department": True}, Actor("Петров П. П."))
    with pytest.raises(StepFailed) as failed:
        engine.complete_task(open_task(number).id, {"client_reached": False, "contact_summary": "Не отвечает"},
                             Actor("Петров П. П."))
    return number, failed.value.incident_id


def test_owner_sees_versions_and_the_diagram_of_one(page: Any, live_server: str, engine: ProcessEngine,
                                                     register: Any) -> None:
    register()
    broken_attempt_counter(engine)
    sign_in(page, live_server, "owner")
    page.click("header nav >> text=Процессы")
    page.wait_for_url(f"{live_server}/processes")  # count() does not wait for the page the click opens
    rows = page.locator("[data-key=complaint] table[data-test=versions] tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.nth(0).inner_text()
    assert "Владелец процесса" in newest and "Сломанный счётчик попыток" in newest
    assert rows.nth(1).locator("[data-test=instances]").inner_text() == "1"
    shot(page, "30-processes")
    rows.nth(1).locator("a").click()
    page.wait_for_selector("[data-test=diagram][data-shown-file='complaint.bpmn'] [data-element-id=stage1]")
    page.click("[data-file='stage1_correction.bpmn']")
    page.wait_for_selector("[data-shown-file='stage1_correction.bpmn'] [data-element-id=first_contact]")
    assert page.locator("[data-element-id=verify] .djs-label, [data-element-id=verify] text").count() > 0
    expect(page.locator("[data-test=form]")).to_have_count(len(Bundle.from_directory(PROCESSES).forms))
    shot(page, "31-process-version")
    sign_in(page, live_server, "responsible")
    assert page.goto(f"{live_server}/processes").status == 403
    assert page.goto(f"{live_server}/processes/complaint/versions/1").status == 403
    sign_in(page, live_server, "qms")
    assert page.goto(f"{live_server}/processes/complaint/versions/1").status == 200
    assert page.goto(f"{live_server}/processes/complaint/versions/7").status == 404


def test_instance_diagram_colours_the_four_states_and_shows_details(page: Any, live_server: str,
                                                                    engine: ProcessEngine, register: Any) -> None:
    number, _incident = failed_complaint(engine, register)
    sign_in(page, live_server, "executive")
    page.goto(f"{live_server}/complaints/{number}")
    page.click("[data-test=diagram-link]")
    page.wait_for_selector("[data-shown-file='stage1_correction.bpmn'] .state-failed")
    assert page.inner_text("[data-test=version]") == "2"
    assert "просрочен" in page.inner_text("[data-test=legend]")
    assert (fill_of(page, "accept"), fill_of(page, "first_contact"), fill_of(page, "count_attempt")) == (
        COMPLETED, OVERDUE, FAILED)
    assert fill_of(page, "verify") not in (COMPLETED, ACTIVE, OVERDUE, FAILED)
    shot(page, "32-instance-diagram")
    page.click("[data-element-id=accept]")
    details = page.inner_text("[data-test=element-details]")
    assert "Петров П. П." in details and "belongs_to_department" in details and "выполнен" in details
    assert (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).strftime("%d.%m.%Y") in details
    page.click("[data-element-id=count_attempt]")
    assert "division" in page.inner_text("[data-test=element-details]")
    page.click("[data-file='complaint.bpmn']")
    page.wait_for_selector("[data-shown-file='complaint.bpmn'] .state-active")
    assert (fill_of(page, "stage1"), fill_of(page, "registered")) == (ACTIVE, COMPLETED)
    page.context.clear_cookies()
    answer = page.goto(f"{live_server}/complaints/{number}/diagram")
    assert answer.status == 401
    expect(page.locator("input[name=login]")).to_have_count(1)


def test_qms_retries_and_resolves_incidents(page: Any, live_server: str, engine: ProcessEngine,
                                            register: Any) -> None:
    number, incident_id = failed_complaint(engine, register)
    other_number, other_id = failed_complaint(engine, register)
    sign_in(page, live_server, "qms")
    page.click("header nav >> text=Инциденты")
    row = page.locator(f"tr[data-incident='{incident_id}']")
    assert "count_attempt" in row.inner_text() and number in row.inner_text()
    shot(page, "33-incidents")
    row.locator("[data-test=retry]").click()
    page.wait_for_selector(".flash.ok")
    assert db.session.get(Incident, incident_id).resolved_by == "Матвеева Анна"
    row = page.locator(f"tr[data-incident='{other_id}']")
    row.locator("[data-test=resolve]").click()
    page.wait_for_selector(".field-error")
    page.locator(f"tr[data-incident='{other_id}'] textarea[name=comment]").fill("Клиенту позвонили вручную")
    page.locator(f"tr[data-incident='{other_id}'] [data-test=resolve]").click()
    page.wait_for_selector(".flash.ok")
    db.session.expire_all()
    resolved = db.session.get(Incident, other_id)
    assert resolved.resolution == "Клиенту позвонили вручную" and resolved.resolved_at is not None
    kinds = {e.kind: e.data for e in history_events("incident_retried", "incident_resolved")}
    assert kinds["incident_retried"]["incident"] == incident_id
    assert kinds["incident_resolved"]["comment"] == "Клиенту позвонили вручную"
    page.goto(f"{live_server}/incidents?status=all")
    assert "Клиенту позвонили вручную" in page.inner_text("table[data-test=incidents]")
    sign_in(page, live_server, "responsible")
    assert page.goto(f"{live_server}/incidents").status == 403
    assert other_number


def test_owner_compares_two_versions_on_the_diagram(page: Any, live_server: str, engine: ProcessEngine) -> None:
    bundle = Bundle.from_directory(PROCESSES)
    renamed = bundle.bpmn["stage1_correction.bpmn"].replace('name="Принять претензию в работу"',
                                                            'name="Принять претензию"')
    forms = {**bundle.forms, "accept.json": {**bundle.forms["accept.json"], "title": "Принять претензию"}}
    engine.deploy("complaint", Bundle({**bundle.bpmn, "stage1_correction.bpmn": renamed}, forms),
                  Actor("Владелец процесса"), "Короче имя шага 1.1")
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server}/processes")
    page.click("[data-test=compare] button")
    page.wait_for_selector("[data-shown-file='stage1_correction.bpmn'] .state-changed")
    assert "/processes/complaint/diff?from=1&to=2" in page.url
    assert fill_of(page, "accept") == "rgb(255, 243, 196)"
    assert fill_of(page, "first_contact") not in ("rgb(255, 243, 196)", COMPLETED)
    expect(page.locator(".state-changed")).to_have_count(1)
    assert "accept.json" in page.inner_text("[data-test=forms-changed]")
    assert "нет" in page.inner_text("[data-test=removed]")
    page.click("[data-element-id=accept]")
    assert "Принять претензию — изменён" in page.inner_text("[data-test=element-details]")
    shot(page, "34-process-diff")
    sign_in(page, live_server, "operator")
    assert page.goto(f"{live_server}/processes/complaint/diff?from=1&to=2").status == 403
