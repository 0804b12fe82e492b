"""Tasks through the API: inbox filters, claim, assign, complete with form validation, races, history."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import ProcessEngine
from models import InstanceEvent, Task, db
from tests.api.test_appeals import GOOD
from tests.conftest import race


def new_complaint(client: FlaskClient, auth: dict[str, str], **changes: Any) -> str:
    answer = client.post("/api/v1/appeals", json={**GOOD, **changes}, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["complaint_number"]


def open_task(client: FlaskClient, auth: dict[str, str], number: str) -> dict[str, Any]:
    [task] = client.get(f"/api/v1/tasks?complaint={number}", headers=auth).get_json()
    return task


def complete(client: FlaskClient, auth: dict[str, str], task_id: str, data: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=auth)


def test_inbox_filters_by_complaint_assignee_and_department(client: FlaskClient, auth: dict[str, str],
                                                            engine: ProcessEngine) -> None:
    ours = new_complaint(client, auth)
    qms = new_complaint(client, auth, department="СМК")
    listed = client.get("/api/v1/tasks", headers=auth).get_json()
    assert {t["complaint"] for t in listed} == {ours, qms}
    mine = client.get("/api/v1/tasks?assignee=responsible", headers=auth).get_json()
    assert [t["complaint"] for t in mine] == [ours]
    group = client.get("/api/v1/tasks?department=СМК", headers=auth).get_json()
    assert [(t["complaint"], t["lane"], t["assignee"]) for t in group] == [(qms, "Ответственный подразделения", "qms")]
    bad = client.get("/api/v1/tasks?status=weird", headers=auth)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]


def test_complete_validates_against_the_form(client: FlaskClient, auth: dict[str, str],
                                             engine: ProcessEngine) -> None:
    task = open_task(client, auth, new_complaint(client, auth))
    answer = complete(client, auth, task["id"], {"belongs_to_department": "yes", "reassign_to": "НЕТ",
                                                 "rounds": 0})
    problem = answer.get_json()
    assert answer.status_code == 422
    assert problem["errors"]["belongs_to_department"] == ["Must be of type boolean."]
    assert problem["errors"]["rounds"] == ["This field is not part of the form."]
    assert problem["errors"]["reassign_to"] == ["Unknown value in departments: НЕТ."]
    missing = complete(client, auth, task["id"], {"belongs_to_department": False}).get_json()
    assert missing["errors"] == {"reassign_to": ["This field is required."]}
    assert db.session.get(Task, task["id"]).status == "open"


def test_completed_task_completed_again_is_409(client: FlaskClient, auth: dict[str, str],
                                               engine: ProcessEngine) -> None:
    number = new_complaint(client, auth)
    task = open_task(client, auth, number)
    done = complete(client, auth, task["id"], {"belongs_to_department": True})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    again = complete(client, auth, task["id"], {"belongs_to_department": True})
    assert again.status_code == 409 and again.content_type == "application/problem+json"
    assert open_task(client, auth, number)["step"] == "1.2"


def test_two_completions_racing_complete_once(app: Flask, client: FlaskClient, auth: dict[str, str],
                                              engine: ProcessEngine) -> None:
    number = new_complaint(client, auth)
    task = open_task(client, auth, number)
    statuses = race(app, 2, lambda own, _i: complete(own, auth, task["id"], {"belongs_to_department": True})
                    .status_code)
    assert sorted(statuses) == [200, 409]
    assert db.session.scalar(select(func.count()).where(InstanceEvent.kind == "task_completed")) == 1
    assert [t["step"] for t in client.get(f"/api/v1/tasks?complaint={number}", headers=auth).get_json()] == ["1.2"]


def test_claim_assign_and_history_record_who_acted(client: FlaskClient, engine: ProcessEngine,
                                                   auth: dict[str, str]) -> None:
    number = new_complaint(client, auth, department="ОПР")
    task = open_task(client, auth, number)
    assert task["assignee"] is None and task["candidate_group"] == "ОПР"
    engine.create_user("sales", "Агибалова Анна", "demo-password", ["responsible"], ["ОПР"])
    _c, as_user = engine.create_api_client("crm", [], None)
    crm = {"Authorization": f"Bearer {as_user}", "X-Act-As": "qms"}
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=crm)
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "qms"
    elsewhere = client.post(f"/api/v1/tasks/{task['id']}/assign",
                            json={"user": "responsible", "reason": "Она знает клиента"}, headers=auth)
    assert elsewhere.status_code == 403
    assert elsewhere.get_json()["detail"] == "User responsible cannot work on tasks of department ОПР."
    moved = client.post(f"/api/v1/tasks/{task['id']}/assign",
                        json={"user": "sales", "reason": "Она знает клиента"}, headers=auth)
    assert moved.get_json()["assignee"] == "sales"
    complete(client, {**auth, "X-Act-As": "sales"}, task["id"], {"belongs_to_department": True})
    events = client.get(f"/api/v1/complaints/{number}/history", headers=auth).get_json()["events"]
    kinds = [(e["kind"], e["actor"]) for e in events]
    assert kinds[:2] == [("started", "api:test-channel"), ("task_created", "api:test-channel")]
    assert ("task_claimed", "Матвеева Анна (api:crm)") in kinds
    assigned = [e for e in events if e["kind"] == "task_assigned"]
    assert [a["data"] for a in assigned] == [{"from": "qms", "to": "sales", "reason": "Она знает клиента"}]
    completed = next(e for e in events if e["kind"] == "task_completed")
    assert completed["actor"] == "Агибалова Анна (api:test-channel)" and completed["step"] == "1.1"
    assert completed["data"]["form"] == {"belongs_to_department": True}


def test_a_user_may_not_complete_another_departments_task(client: FlaskClient, engine: ProcessEngine,
                                                           auth: dict[str, str]) -> None:
    task = open_task(client, auth, new_complaint(client, auth, department="ОПР"))
    refused = complete(client, {**auth, "X-Act-As": "responsible"}, task["id"], {"belongs_to_department": True})
    assert refused.status_code == 403 and "ОПР" in refused.get_json()["detail"]
    claim = client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers={**auth, "X-Act-As": "responsible"})
    assert claim.status_code == 403
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=auth).status_code == 422
    assert client.get("/api/v1/tasks/nope", headers=auth).status_code == 404
    assert complete(client, auth, "nope", {}).status_code == 404


def test_unknown_complaint_is_404_problem(client: FlaskClient, auth: dict[str, str], engine: ProcessEngine) -> None:
    answer = client.get("/api/v1/complaints/P000", headers=auth)
    assert answer.status_code == 404 and answer.get_json()["detail"] == "No complaint P000."


def test_assigning_a_task_that_a_racing_completion_closes_is_refused(app: Flask, client: FlaskClient,
                                                                      auth: dict[str, str],
                                                                      engine: ProcessEngine) -> None:
    number = new_complaint(client, auth, department="ОПР")
    task = open_task(client, auth, number)
    engine.create_user("sales", "Агибалова Анна", "demo-password", ["responsible"], ["ОПР"])

    def act(own: FlaskClient, i: int) -> tuple[str, int]:
        if i == 0:
            return "complete", complete(own, auth, task["id"], {"belongs_to_department": True}).status_code
        answer = own.post(f"/api/v1/tasks/{task['id']}/assign", json={"user": "sales", "reason": f"гонка {i}"},
                          headers=auth)
        return "assign", answer.status_code

    results = race(app, 4, act)
    # A loser gets 409 (on SQLite even the completion may lose the write lock and be asked to retry).
    assert {status for _kind, status in results} <= {200, 409} and any(s == 200 for _k, s in results)
    if ("complete", 409) in results:
        assert complete(client, auth, task["id"], {"belongs_to_department": True}).status_code == 200
    late = client.post(f"/api/v1/tasks/{task['id']}/assign", json={"user": "sales", "reason": "поздно"}, headers=auth)
    assert late.status_code == 409
    events = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.task_id == task["id"])
                                     .order_by(InstanceEvent.id)))
    kinds = [e.kind for e in events]
    # Whatever won, nothing was assigned after the task closed, and every 200 assignment is in the history.
    assert kinds.count("task_completed") == 1
    assert "task_assigned" not in kinds[kinds.index("task_completed"):]
    assert kinds.count("task_assigned") == sum(1 for kind, status in results if kind == "assign" and status == 200)


def test_dates_asked_about_the_future_cannot_be_in_the_past(client: FlaskClient, auth: dict[str, str],
                                                            engine: ProcessEngine) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    number = new_complaint(client, auth)
    complete(client, auth, open_task(client, auth, number)["id"], {"belongs_to_department": True})
    complete(client, auth, open_task(client, auth, number)["id"],
             {"client_reached": True, "contact_summary": "Дозвонились"})
    task = open_task(client, auth, number)
    assert task["step"] == "1.3"
    today = dt.datetime.now(ZoneInfo("Europe/Moscow")).date()
    correction = {"justification": "justified", "importance": "high", "correction": "Настроим базу",
                  "agreed_with_client": True, "immediate": False, "compensation": "apology"}
    past = complete(client, auth, task["id"], {**correction,
                                               "implementation_date": str(today - dt.timedelta(days=7))})
    assert past.status_code == 422
    assert past.get_json()["errors"] == {"implementation_date": ["The date cannot be in the past."]}
    assert open_task(client, auth, number)["step"] == "1.3"
    done = complete(client, auth, task["id"], {**correction, "implementation_date": str(today)})
    assert done.status_code == 200, done.get_json()
    assert open_task(client, auth, number)["step"] == "1.4"
