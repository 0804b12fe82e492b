"""Validate and deploy a bundle through the API: problems keyed by element id, nothing deployed while any remains,
the same content is the same version, and only process owners may do it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import Bundle, ProcessEngine
from models import ProcessDefinition, db

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def shipped() -> dict[str, Any]:
    bundle = Bundle.from_directory(PROCESSES)
    return {"bpmn": dict(bundle.bpmn), "forms": dict(bundle.forms)}


def changed(old: str, new: str, file: str = "stage1_correction.bpmn", **extra: Any) -> dict[str, Any]:
    body = shipped()
    assert old in body["bpmn"][file]
    body["bpmn"][file] = body["bpmn"][file].replace(old, new)
    return {**body, **extra}


def uncapped_loop() -> dict[str, Any]:
    """A "try again" straight back to counting, and the counter no longer compared: a loop nothing stops."""
    body = changed('sourceRef="gw_attempts" targetRef="first_contact"',
                   'sourceRef="gw_attempts" targetRef="count_attempt"')
    file = "stage1_correction.bpmn"
    body["bpmn"][file] = body["bpmn"][file].replace("contact_attempts &gt;= max_contact_attempts", "client_gave_up")
    return body


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def test_deploy_makes_a_version_with_its_comment_once(client: FlaskClient, auth: dict[str, str],
                                                      engine: ProcessEngine) -> None:
    same = client.post("/api/v1/definitions/complaint/versions", json={**shipped(), "comment": "снова"}, headers=auth)
    assert same.status_code == 200 and same.get_json()["version"] == 1 and same.get_json()["comment"] is None
    body = changed('name="Принять претензию в работу"', 'name="Принять претензию"',
                   comment="Короче название шага 1.1")
    assert client.post("/api/v1/definitions/complaint/validate", json=body, headers=auth).get_json() == {
        "key": "complaint", "valid": True}
    assert versions() == 1
    created = client.post("/api/v1/definitions/complaint/versions", json=body, headers=auth)
    assert created.status_code == 201
    assert {k: created.get_json()[k] for k in ("version", "comment", "deployed_by", "instances")} == {
        "version": 2, "comment": "Короче название шага 1.1", "deployed_by": "api:test-channel", "instances": 0}
    again = client.post("/api/v1/definitions/complaint/versions", json=body, headers=auth)
    assert again.status_code == 200 and again.get_json()["version"] == 2 and versions() == 2
    fetched = client.get("/api/v1/definitions/complaint/versions/2", headers=auth).get_json()
    assert fetched["bpmn"] == body["bpmn"] and fetched["forms"] == body["forms"]


@pytest.mark.parametrize(("body", "element", "says"), [
    (changed("</bpmn:definitions>", "", file="complaint.bpmn"), "complaint.bpmn", "line"),
    (changed("contact_attempts = contact_attempts + 1", "import os"), "count_attempt", "not allowed"),
    (changed('value="accept.json"', 'value="no_such_form.json"'), "accept", "no_such_form.json"),
    (changed("working_days_after(received_at, 3)", "working_days_after(received_at,"), "correction_breach",
     "expression"),
    (changed('<?xml version="1.0" encoding="UTF-8"?>',
             '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'),
     "stage1_correction.bpmn", "DOCTYPE"),
    (changed("contact_attempts = contact_attempts + 1", "contact_attempts = bump(contact_attempts)"),
     "count_attempt", "bump(), which is not a known helper"),
    (changed('<spiffworkflow:property name="form" value="accept.json"/>', ""), "accept", "user task has no form"),
    (changed("working_days_after(received_at, 3)", "working_days_after(agreed_at, 3)"), "correction_breach",
     "fails on sample data"),
    (changed('<bpmn:lane id="lane_qms" name="СМК">', '<bpmn:lane id="lane_qms" name="Бухгалтерия">'), "lane_qms",
     "maps to no group"),
    (uncapped_loop(), "count_attempt", "has no cap"),
], ids=["malformed-xml", "script-imports", "missing-form", "timer-expression", "doctype", "unknown-helper",
        "no-form", "timer-fails-on-sample", "unknown-lane", "uncapped-loop"])
def test_problems_are_keyed_by_element_and_nothing_is_deployed(client: FlaskClient, auth: dict[str, str],
                                                              engine: ProcessEngine, body: dict[str, Any],
                                                              element: str, says: str) -> None:
    for url in ("/api/v1/definitions/complaint/validate", "/api/v1/definitions/complaint/versions"):
        answer = client.post(url, json={**body, "comment": "попытка"}, headers=auth)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
        errors = answer.get_json()["errors"]
        assert element in errors and says in " ".join(errors[element]), errors
    assert versions() == 1


def test_a_schema_that_is_not_json_schema_is_refused(client: FlaskClient, auth: dict[str, str],
                                                     engine: ProcessEngine) -> None:
    body = shipped()
    body["forms"]["accept.json"] = {"type": "no-such-type"}
    answer = client.post("/api/v1/definitions/complaint/versions", json=body, headers=auth)
    assert answer.status_code == 422 and "forms/accept.json" in answer.get_json()["errors"]
    assert versions() == 1


def test_bad_bodies_get_field_messages(client: FlaskClient, auth: dict[str, str], engine: ProcessEngine) -> None:
    answer = client.post("/api/v1/definitions/complaint/versions", json={"forms": {}}, headers=auth)
    assert answer.status_code == 422 and "bpmn" in answer.get_json()["errors"]
    answer = client.post("/api/v1/definitions/complaint/validate", json={"bpmn": {"../x.bpmn": "<a/>"}},
                         headers=auth)
    assert answer.status_code == 422 and any(k.startswith("bpmn") for k in answer.get_json()["errors"])


def test_only_process_owners_deploy(client: FlaskClient, engine: ProcessEngine) -> None:
    body = changed('name="Принять претензию в работу"', 'name="Принять"')
    assert client.post("/api/v1/definitions/complaint/versions", json=body).status_code == 401
    _c, reader = engine.create_api_client("reader", ["definitions:read"], None)
    refused = client.post("/api/v1/definitions/complaint/versions", json=body,
                          headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and "definitions:write" in refused.get_json()["detail"]
    _c, desk = engine.create_api_client("desk", ["definitions:write", "act_as"], None)
    as_responsible = {"Authorization": f"Bearer {desk}", "X-Act-As": "responsible"}
    for url in ("/api/v1/definitions/complaint/validate", "/api/v1/definitions/complaint/versions"):
        answer = client.post(url, json=body, headers=as_responsible)
        assert answer.status_code == 403 and "owner" in answer.get_json()["detail"]
    assert versions() == 1
    as_owner = client.post("/api/v1/definitions/complaint/versions", json=body,
                           headers={"Authorization": f"Bearer {desk}", "X-Act-As": "owner"})
    assert as_owner.status_code == 201 and as_owner.get_json()["deployed_by"] == "Владелец процесса (api:desk)"
