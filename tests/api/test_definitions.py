"""Definitions and instances through the API: every version with its counts, one version's files, an instance's
elements with their state, and incidents resolved with a comment."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from engine import Actor, Bundle, ProcessEngine
from engine.errors import StepFailed
from models import Incident, InstanceEvent, ProcessInstance, Task, db
from tests.engine.test_diagram import BROKEN
from tests.unchecked import deploy_unchecked

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def second_version(engine: ProcessEngine) -> None:
    bundle = Bundle.from_directory(PROCESSES)
    renamed = bundle.bpmn["complaint.bpmn"].replace('name="Претензия закрыта"', 'name="Претензия отработана"')
    engine.deploy("complaint", Bundle({**bundle.bpmn, "complaint.bpmn": renamed}, bundle.forms), Actor("Владелец"),
                  "Переименовали конец процесса")


def scoped(engine: ProcessEngine, *scopes: str) -> dict[str, str]:
    _client, secret = engine.create_api_client(f"client-{'-'.join(scopes)}", list(scopes), None)
    return {"Authorization": f"Bearer {secret}"}


def test_definitions_list_every_version_with_who_when_comment_and_instances(
        client: FlaskClient, auth: dict[str, str], engine: ProcessEngine, register: Any) -> None:
    register()
    register()
    second_version(engine)
    register()
    [complaint] = client.get("/api/v1/definitions", headers=auth).get_json()
    assert complaint["key"] == "complaint" and complaint["name"] == "Отработка претензии"
    newest, first = complaint["versions"]
    assert (newest["version"], newest["deployed_by"], newest["comment"]) == (2, "Владелец",
                                                                            "Переименовали конец процесса")
    assert (first["version"], first["deployed_by"], first["comment"]) == (1, "system", None)
    assert (first["instances"], first["running"], newest["instances"]) == (2, 2, 1)
    assert len(newest["sha256"]) == 64 and newest["sha256"] != first["sha256"]
    assert dt.datetime.fromisoformat(newest["deployed_at"]) >= dt.datetime.fromisoformat(first["deployed_at"])


def test_one_version_comes_with_its_bpmn_and_forms_in_the_deployment_shape(
        client: FlaskClient, auth: dict[str, str], engine: ProcessEngine) -> None:
    second_version(engine)
    shipped = Bundle.from_directory(PROCESSES)
    first = client.get("/api/v1/definitions/complaint/versions/1", headers=auth).get_json()
    assert first["bpmn"] == shipped.bpmn and first["forms"] == shipped.forms
    second = client.get("/api/v1/definitions/complaint/versions/2", headers=auth).get_json()
    assert 'name="Претензия отработана"' in second["bpmn"]["complaint.bpmn"]
    assert second["comment"] == "Переименовали конец процесса" and second["version"] == 2
    missing = client.get("/api/v1/definitions/complaint/versions/9", headers=auth)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert "9" in missing.get_json()["detail"]


def test_definitions_need_the_scope(client: FlaskClient, engine: ProcessEngine) -> None:
    assert client.get("/api/v1/definitions").status_code == 401
    refused = client.get("/api/v1/definitions/complaint/versions/1", headers=scoped(engine, "complaints:read"))
    assert refused.status_code == 403 and "definitions:read" in refused.get_json()["detail"]
    allowed = client.get("/api/v1/definitions", headers=scoped(engine, "definitions:read"))
    assert [d["key"] for d in allowed.get_json()] == ["complaint"]


def test_instance_elements_with_state_who_and_when(client: FlaskClient, auth: dict[str, str],
                                                   engine: ProcessEngine, register: Any) -> None:
    number = register()
    accept = db.session.scalars(select(Task).where(Task.business_key == number)).one()
    engine.complete_task(accept.id, {"belongs_to_department": True}, Actor("Иванов И. И."))
    body = client.get(f"/api/v1/instances/{number}", headers=auth).get_json()
    assert body["definition"] == {"key": "complaint", "version": 1} and body["business_key"] == number
    elements = {e["id"]: e for e in body["elements"]}
    assert elements["accept"]["state"] == "completed" and elements["accept"]["completed_by"] == "Иванов И. И."
    assert elements["accept"]["data"] == {"belongs_to_department": True}
    assert dt.datetime.fromisoformat(elements["accept"]["completed_at"]).tzinfo is not None
    contact = elements["first_contact"]
    assert (contact["state"], contact["completed_at"], contact["process"]) == ("active", None, "complaint_stage1")
    assert contact["due_at"] is not None
    assert {e["state"] for e in body["elements"]} <= {"completed", "active", "overdue", "failed"}
    assert client.get("/api/v1/instances/P0000000000", headers=auth).status_code == 404
    assert client.get(f"/api/v1/instances/{number}").status_code == 401
    assert client.get(f"/api/v1/instances/{number}", headers=scoped(engine, "appeals:write")).status_code == 403


def test_incident_resolved_with_a_comment_through_the_api(client: FlaskClient, auth: dict[str, str],
                                                          engine: ProcessEngine) -> None:
    deploy_unchecked(engine, "probe", BROKEN, "owner")
    engine.start("probe", "PROBE-A", {}, Actor("test"))
    task = db.session.scalars(select(Task).where(Task.business_key == "PROBE-A")).one()
    try:
        engine.complete_task(task.id, {}, Actor("tester"))
    except StepFailed as failed:
        incident_id = failed.incident_id
    failed_element = {e["id"]: e for e in client.get("/api/v1/instances/PROBE-A", headers=auth).get_json()["elements"]}
    assert failed_element["calc"]["state"] == "failed"
    empty = client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"comment": ""}, headers=auth)
    assert empty.status_code == 422 and "comment" in empty.get_json()["errors"]
    refused = client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"comment": "x"},
                          headers=scoped(engine, "complaints:read"))
    assert refused.status_code == 403
    done = client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"comment": "Исправили скрипт"}, headers=auth)
    assert done.status_code == 200 and done.get_json()["resolution"] == "Исправили скрипт"
    assert done.get_json()["resolved_by"] == "api:test-channel"
    assert db.session.get(Incident, incident_id).resolved_at is not None
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "PROBE-A")).one()
    kinds = [e.kind for e in db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)
                                                .order_by(InstanceEvent.id))]
    assert kinds[-1] == "incident_resolved"
    again = client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"comment": "снова"}, headers=auth)
    assert again.status_code == 409
