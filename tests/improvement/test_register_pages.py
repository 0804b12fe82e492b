"""The register page: filters, QMS's assignment with its messages, the assignee's inbox and report."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from models import Complaint, CorrectiveAction, db
from tests.improvement.helpers import analysis_of, at_corrective_work
from tests.test_ui_pages import signed_in, token

ONE = {"corrective_actions": [{"description": "Договор с чек-листом", "assignee": "ОПР",
                               "deadline": "2099-01-01"}]}


def _two_complaints(engine: ProcessEngine, register: Any) -> tuple[str, str]:
    dks = at_corrective_work(engine, register)
    opr = at_corrective_work(engine, register, analysis_of("ОПР", "Продажи", "1С:УТ", "Не тот продукт"), ONE)
    return dks, opr


def test_the_register_filters_by_department_process_and_product(app: Flask, engine: ProcessEngine,
                                                                 register: Any) -> None:
    dks, opr = _two_complaints(engine, register)
    client = signed_in(app, "executive")
    everything = client.get("/improvement").get_data(as_text=True)
    assert dks in everything and opr in everything and "Не тот продукт" in everything
    assert 'data-test="assign-form"' not in everything  # only QMS assigns
    by_department = client.get("/improvement?department=ОПР").get_data(as_text=True)
    assert opr in by_department and dks not in by_department and "Договор с чек-листом" in by_department
    by_product = client.get("/improvement?product=1С:БП&process=Сопровождение").get_data(as_text=True)
    assert dks in by_product and opr not in by_product
    assert "Обучить инженеров" in by_product and "Написать регламент проверки скорости" in by_product
    assert "Ничего не найдено" in client.get("/improvement?from=2099-01-01").get_data(as_text=True)


def test_qms_assigns_with_messages_under_the_fields(app: Flask, engine: ProcessEngine, register: Any) -> None:
    dks, _opr = _two_complaints(engine, register)
    action = db.session.scalar(select(Complaint).where(Complaint.number == dks)).corrective_actions[0]
    client = signed_in(app, "qms")
    page = client.get("/improvement").get_data(as_text=True)
    bad = client.post(f"/improvement/actions/{action.id}/assign", data={
        "assignee": "operator", "working_days": "0", "csrf_token": token(page)})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'data-error-for="working_days">Срок — от 1 до 250 рабочих дней.' in html
    assert '<option value="operator" selected>' in html
    good = client.post(f"/improvement/actions/{action.id}/assign", data={
        "assignee": "operator", "working_days": "3", "csrf_token": token(page)})
    assert good.status_code == 302
    db.session.expire_all()
    row = db.session.get(CorrectiveAction, action.id)
    assert row is not None and row.assignee_user is not None and row.assignee_user.login == "operator"
    assert row.status == "in_progress" and row.deadline is not None

    operator = signed_in(app, "operator")
    inbox = operator.get("/inbox").get_data(as_text=True)
    assert f'data-action="{action.id}"' in inbox and "Написать регламент проверки скорости" in inbox
    assert operator.post(f"/improvement/actions/{action.id}/done",
                         data={"csrf_token": token(inbox)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, action.id).status == "done"
    assert f'data-action="{action.id}"' not in operator.get("/inbox").get_data(as_text=True)


def test_someone_else_cannot_report_a_task_done(app: Flask, engine: ProcessEngine, register: Any) -> None:
    dks = at_corrective_work(engine, register)
    action = db.session.scalar(select(Complaint).where(Complaint.number == dks)).corrective_actions[0]
    client = signed_in(app, "executive")
    page = client.get("/inbox").get_data(as_text=True)
    answer = client.post(f"/improvement/actions/{action.id}/done", data={"csrf_token": token(page)},
                         follow_redirects=True)
    assert "Отметить выполнение может только исполнитель задачи или СМК." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, action.id).status == "planned"


def test_the_register_over_the_api(client: Any, engine: ProcessEngine, register: Any, auth: dict[str, str]) -> None:
    _dks, opr = _two_complaints(engine, register)
    items = client.get("/api/v1/improvement/nonconformities?department=ОПР", headers=auth).get_json()["items"]
    assert [(i["complaint"], i["process"], i["product"]) for i in items] == [(opr, "Продажи", "1С:УТ")]
    action = items[0]["corrective_actions"][0]
    assert {k: action[k] for k in ("description", "assignee", "assignee_login", "status", "overdue")} == {
        "description": "Договор с чек-листом", "assignee": "ОПР", "assignee_login": None, "status": "planned",
        "overdue": False}
    bad = client.post(f"/api/v1/improvement/actions/{action['id']}/assign", json={"assignee": "", "working_days": 0},
                      headers=auth)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"assignee", "working_days"}
    given = client.post(f"/api/v1/improvement/actions/{action['id']}/assign",
                        json={"assignee": "operator", "working_days": 2}, headers=auth).get_json()
    assert (given["assignee_login"], given["status"]) == ("operator", "in_progress")
    done = client.post(f"/api/v1/improvement/actions/{action['id']}/done", headers=auth).get_json()
    assert done["status"] == "done" and done["done_on"] is not None
    assert client.post(f"/api/v1/improvement/actions/{action['id']}/done", headers=auth).status_code == 409
    assert client.post("/api/v1/improvement/actions/999999/done", headers=auth).status_code == 404
