"""Replay and migration through the API: a changed path reported, previews with their reasons, a refused instance
left as it was, bad bodies answered 422 with the field named."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from engine import Actor, Bundle, ProcessEngine
from models import InstanceEvent, ProcessInstance, db
from tests.api.test_deploy import changed, shipped
from tests.conftest import history_events
from tests.engine.test_paths import ACCEPT, Walker
from tests.engine.test_replay import UNREACHABLE, close, row_counts


def state_of(number: str) -> tuple[bytes, int, int]:
    db.session.expire_all()
    row = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    return bytes(row.state), row.revision, row.definition.version


def test_replay_reports_a_changed_path_and_writes_nothing(client: FlaskClient, auth: dict[str, str],
                                                          engine: ProcessEngine, register: Any) -> None:
    number = close(engine, register, UNREACHABLE)
    before = row_counts()
    draft = changed("contact_attempts &gt;= max_contact_attempts", "contact_attempts &gt;= 2",
                    comment="Две попытки связи")
    answer = client.post("/api/v1/definitions/complaint/replay", json=draft, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["summary"] == {"same": 0, "different": 1, "failed": 0, "total": 1}
    [result] = body["results"]
    assert {k: result[k] for k in ("business_key", "version", "outcome", "after", "expected", "reached")} == {
        "business_key": number, "version": 1, "outcome": "different", "after": "first_contact",
        "expected": "first_contact", "reached": ["handover"]}
    same = client.post("/api/v1/definitions/complaint/replay", json={"version": 1}, headers=auth).get_json()
    assert same["summary"]["same"] == 1 and same["results"][0]["path"][-1] == "end"
    assert row_counts() == before


def test_replay_refuses_bad_bodies_with_the_field_or_element(client: FlaskClient, auth: dict[str, str],
                                                             engine: ProcessEngine) -> None:
    neither = client.post("/api/v1/definitions/complaint/replay", json={"limit": 5}, headers=auth)
    assert neither.status_code == 422 and "bpmn" in neither.get_json()["errors"]
    both = client.post("/api/v1/definitions/complaint/replay", json={**shipped(), "version": 1}, headers=auth)
    assert both.status_code == 422 and "bpmn" in both.get_json()["errors"]
    too_many = client.post("/api/v1/definitions/complaint/replay", json={"version": 1, "limit": 501}, headers=auth)
    assert too_many.status_code == 422 and "limit" in too_many.get_json()["errors"]
    broken = changed('<bpmn:script>stage1_status = "closed"</bpmn:script>', "<bpmn:script>import os</bpmn:script>")
    refused = client.post("/api/v1/definitions/complaint/replay", json=broken, headers=auth)
    assert refused.status_code == 422 and "s1_closed" in refused.get_json()["errors"]
    missing = client.post("/api/v1/definitions/complaint/replay", json={"version": 7}, headers=auth)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_migrate_previews_then_moves_and_refuses_the_blocked_one(client: FlaskClient, auth: dict[str, str],
                                                                 engine: ProcessEngine, register: Any) -> None:
    waiting = register()
    done = Walker(engine, register(), False)
    done.do("accept", ACCEPT)
    body = changed('<spiffworkflow:property name="form" value="accept.json"/>',
                   '<spiffworkflow:property name="form" value="handover.json"/>', comment="Другая форма")
    assert client.post("/api/v1/definitions/complaint/versions", json=body, headers=auth).status_code == 201
    request = {"key": "complaint", "from_version": 1, "to_version": 2, "instances": "all"}
    preview = client.post("/api/v1/instances/migrate", json=request, headers=auth).get_json()
    assert preview["dry_run"] is True and preview["summary"] == {"total": 2, "can_move": 0, "moved": 0}
    by_key = {i["business_key"]: i for i in preview["instances"]}
    assert by_key[waiting]["can_move"] is False  # its open accept task would ask with another form
    assert by_key[done.number]["reasons"][0]["element"] == "accept"
    blocked = state_of(done.number)
    moved = client.post("/api/v1/instances/migrate", json={**request, "instances": [done.number, waiting],
                                                           "dry_run": False}, headers=auth).get_json()
    assert moved["summary"] == {"total": 2, "can_move": 0, "moved": 0}
    assert state_of(done.number) == blocked
    assert not db.session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "migrated")).all()


def test_migrate_moves_an_instance_and_records_it(client: FlaskClient, auth: dict[str, str],
                                                  engine: ProcessEngine, register: Any) -> None:
    number = register()
    renamed = changed('name="Принять претензию в работу"', 'name="Принять претензию"')
    engine.deploy("complaint", Bundle(renamed["bpmn"], renamed["forms"]), Actor("owner"))
    answer = client.post("/api/v1/instances/migrate", json={
        "key": "complaint", "from_version": 1, "to_version": 2, "instances": [number], "dry_run": False},
        headers=auth)
    assert answer.status_code == 200
    assert answer.get_json()["instances"] == [{"business_key": number, "can_move": True, "moved": True,
                                               "reasons": []}]
    assert state_of(number)[2] == 2
    (event,) = history_events("migrated")
    assert event.actor == "api:test-channel" and event.data["to_version"] == 2


def test_migrate_refuses_bad_bodies_with_the_field(client: FlaskClient, auth: dict[str, str],
                                                   engine: ProcessEngine) -> None:
    base = {"key": "complaint", "from_version": 1, "to_version": 2, "instances": "all"}
    for field, value in (("instances", "some"), ("instances", []), ("instances", [1, 2]), ("from_version", 0)):
        answer = client.post("/api/v1/instances/migrate", json={**base, field: value}, headers=auth)
        assert answer.status_code == 422 and field in answer.get_json()["errors"], (field, value)
    same = client.post("/api/v1/instances/migrate", json={**base, "to_version": 1}, headers=auth)
    assert same.status_code == 422 and "to_version" in same.get_json()["errors"]
    unknown = client.post("/api/v1/instances/migrate", json=base, headers=auth)
    assert unknown.status_code == 404 and "2" in unknown.get_json()["detail"]
