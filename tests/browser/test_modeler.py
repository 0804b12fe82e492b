"""The process owner in Chromium: opens the modeler, renames a step and changes a timer, sees a deliberate error on
its element, fixes it, keeps a draft, deploys; a new complaint runs on the new version, an older one on its own."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from engine import ProcessEngine
from models import ProcessDefinition, ProcessDraft, ProcessInstance, Task, db
from tests.browser.conftest import shot, sign_in

STAGE1 = "stage1_correction.bpmn"


def versions() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def open_task_and_version(number: str) -> tuple[str, int]:
    db.session.expire_all()
    task = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
    instance = db.session.get(ProcessInstance, task.instance_id)
    return task.name, db.session.get(ProcessDefinition, instance.definition_id).version


def change(page: Any, prop: str, value: str) -> None:
    where = "[data-test=find-element]" if prop == "find" else f"[data-prop={prop}]"
    page.fill(where, value)
    page.dispatch_event(where, "change")


def select_element(page: Any, element_id: str) -> None:
    """By the panel's search box: the fitted diagram draws a boundary timer too small to click."""
    change(page, "find", element_id)
    page.wait_for_selector(f"[data-panel-id]:text-is('{element_id}')")


def test_owner_edits_validates_and_deploys_in_the_modeler(page: Any, live_server: str, engine: ProcessEngine,
                                                          register: Any) -> None:
    older = register()
    page.set_default_timeout(60000)  # validation and deployment run on a shared, busy machine too
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server}/processes/complaint/edit")
    page.wait_for_selector("[data-shown-file='complaint.bpmn'] [data-element-id=stage1]")
    assert page.get_attribute("[data-test=replay-link]", "href") == "/processes/complaint/replay?draft=1"
    page.click(f"[data-file='{STAGE1}']")
    page.wait_for_selector(f"[data-shown-file='{STAGE1}'] [data-element-id=accept]")

    page.click(f"[data-shown-file='{STAGE1}'] [data-element-id=accept]")  # a click on the diagram selects too
    page.wait_for_selector("[data-panel-id]:text-is('accept')")
    assert page.input_value("[data-prop=step]") == "1.1" and page.input_value("[data-prop=form]") == "accept.json"
    assert '"belongs_to_department"' in page.input_value("[data-prop=schema]")
    change(page, "name", "Принять претензию")
    select_element(page, "accept_breach")
    assert page.input_value("[data-prop=timeDate]") == "working_hours_after(received_at, 1)"
    change(page, "timeDate", "working_hours_afterr(received_at, 2)")  # a deliberate slip of the hand

    page.click("[data-test=validate]")
    page.wait_for_selector("[data-test=status].error[data-done=validate]")
    problem = page.wait_for_selector("[data-test=problem][data-element=accept_breach]")
    assert "working_hours_afterr" in problem.inner_text()
    expect(page.locator(f"[data-shown-file='{STAGE1}'] [data-element-id=accept_breach].has-problem")).to_have_count(1)
    expect(page.locator("[data-problem-for=accept_breach]")).to_have_count(1)
    assert page.locator("[data-test=problem]").count() == page.locator("[data-element=accept_breach]").count() >= 1
    shot(page, "40-modeler-problem")
    page.click("[data-test=deploy]")
    page.wait_for_selector("[data-test=status].error[data-done=deploy]")
    assert versions() == 1

    page.click("[data-test=problem][data-element=accept_breach] button")  # the list leads to the element
    page.wait_for_selector("[data-panel-id]:text-is('accept_breach')")
    assert "working_hours_afterr" in page.inner_text("[data-element-problems]")
    change(page, "timeDate", "working_hours_after(received_at, 2)")
    page.click("[data-test=validate]")
    page.wait_for_selector("[data-test=status].ok[data-done=validate]")
    expect(page.locator(".has-problem")).to_have_count(0)
    expect(page.locator("[data-test=problem]")).to_have_count(0)

    page.fill("[data-test=comment]", "Срок принятия — два рабочих часа")
    page.click("[data-test=save-draft]")
    page.wait_for_selector("[data-test=status].ok[data-done=save]")
    db.session.expire_all()
    draft = db.session.scalars(select(ProcessDraft)).one()
    assert 'name="Принять претензию"' in draft.bundle["bpmn"][STAGE1]
    assert draft.bundle["comment"] == "Срок принятия — два рабочих часа" and draft.base_version == 1

    page.reload()  # the draft reopens, not the deployed version
    assert "Черновик" in page.inner_text("[data-test=source]")
    page.click(f"[data-file='{STAGE1}']")
    select_element(page, "accept")
    assert page.input_value("[data-prop=name]") == "Принять претензию"
    assert page.input_value("[data-test=comment]") == "Срок принятия — два рабочих часа"

    page.click("[data-test=deploy]")
    assert page.wait_for_selector("[data-test=deployed-version]").inner_text() == "2"
    shot(page, "41-modeler-deployed")
    assert versions() == 2
    deployed = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert deployed.comment == "Срок принятия — два рабочих часа" and deployed.deployed_by == "Владелец процесса"
    assert "working_hours_after(received_at, 2)" in deployed.sources["bpmn"][STAGE1]
    assert db.session.scalars(select(ProcessDraft)).first() is None

    newer = register()
    assert open_task_and_version(newer) == ("Принять претензию", 2)
    assert open_task_and_version(older) == ("Принять претензию в работу", 1)
