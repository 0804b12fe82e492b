"""What-if deadlines and QMS calendar overrides through the API and the command line."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import ProcessEngine
from models import AuditLog, db
from tests.api.test_appeals import GOOD

MSK = ZoneInfo("Europe/Moscow")


def local(text: str) -> str:
    return dt.datetime.fromisoformat(text).astimezone(MSK).strftime("%Y-%m-%d %H:%M")


def what_if(client: FlaskClient, auth: dict[str, str], received_at: str) -> Any:
    return client.get("/api/v1/calendar/deadlines", query_string={"received_at": received_at}, headers=auth)


def test_what_if_gives_every_step_deadline_and_the_goal(client: FlaskClient, auth: dict[str, str],
                                                        engine: ProcessEngine) -> None:
    body = what_if(client, auth, "2024-12-27T11:00:00+03:00").get_json()
    assert {s["code"]: local(s["due_at"]) for s in body["steps"]} == {
        "1.1": "2024-12-27 12:00", "1.2": "2024-12-27 14:00", "1.3": "2025-01-10 18:00", "1.6": "2025-01-27 18:00"}
    assert local(body["goal_at"]) == "2025-01-14 18:00"
    assert body["timezone"] == "Europe/Moscow" and body["provisional_years"] == []
    far = what_if(client, auth, "2029-03-01T10:00:00+03:00").get_json()
    assert far["provisional_years"] == [2029]
    bad = what_if(client, auth, "2024-12-27T11:00:00")
    assert bad.status_code == 422 and "received_at" in bad.get_json()["errors"]


def test_the_same_moment_in_any_offset_gives_the_same_answer(client: FlaskClient, auth: dict[str, str],
                                                             engine: ProcessEngine) -> None:
    moscow = what_if(client, auth, "2025-11-24T10:00:00+03:00").get_json()["steps"]
    utc = what_if(client, auth, "2025-11-24T07:00:00+00:00").get_json()["steps"]
    assert moscow == utc


def test_complaint_steps_carry_due_dates_and_overdue(client: FlaskClient, auth: dict[str, str],
                                                     engine: ProcessEngine) -> None:
    with time_machine.travel(dt.datetime(2025, 11, 24, 10, 0, tzinfo=MSK), tick=False) as clock:
        number = client.post("/api/v1/appeals", json={**GOOD, "received_at": "2025-11-24T10:00:00+03:00"},
                             headers=auth).get_json()["complaint_number"]
        clock.move_to(dt.datetime(2025, 11, 24, 11, 30, tzinfo=MSK))
        engine.fire_due_timers()
        steps = {s["code"]: s for s in client.get(f"/api/v1/complaints/{number}", headers=auth).get_json()["steps"]}
    assert local(steps["1.1"]["due_at"]) == "2025-11-24 11:00" and steps["1.1"]["overdue"] is True
    assert steps["1.1"]["breached_at"] is not None and steps["1.2"]["overdue"] is False
    assert local(steps["1.6"]["goal_at"]) == "2025-12-01 18:00" and steps["1.4"]["due_at"] is None


def test_overrides_change_deadlines_and_are_audited(client: FlaskClient, engine: ProcessEngine,
                                                    auth: dict[str, str]) -> None:
    _c, token = engine.create_api_client("qms-admin", ["calendar:write", "complaints:read"], None)
    qms = {"Authorization": f"Bearer {token}"}
    before = what_if(client, qms, "2025-11-24T17:30:00+03:00").get_json()["steps"][0]
    assert local(before["due_at"]) == "2025-11-25 09:30"
    put = client.put("/api/v1/calendar/overrides/2025-11-25", json={"kind": "day_off", "note": "региональный"},
                     headers=qms)
    assert put.status_code == 200 and put.get_json()["kind"] == "day_off"
    after = what_if(client, qms, "2025-11-24T17:30:00+03:00").get_json()["steps"][0]
    assert local(after["due_at"]) == "2025-11-26 09:30"
    short = client.put("/api/v1/calendar/overrides/2025-11-26", json={"kind": "shortened",
                                                                      "periods": [["09:00", "15:00"]]}, headers=qms)
    assert short.status_code == 200
    listed = client.get("/api/v1/calendar/overrides", headers=qms).get_json()
    assert [(o["day"], o["kind"], o["periods"]) for o in listed] == [
        ("2025-11-25", "day_off", []), ("2025-11-26", "shortened", [["09:00", "15:00"]])]
    assert client.delete("/api/v1/calendar/overrides/2025-11-25", headers=qms).status_code == 204
    actions = [(a.action, a.actor, a.data["day"]) for a in db.session.scalars(
        select(AuditLog).where(AuditLog.action.startswith("calendar_")).order_by(AuditLog.id))]
    assert actions == [("calendar_override_set", "api:qms-admin", "2025-11-25"),
                       ("calendar_override_set", "api:qms-admin", "2025-11-26"),
                       ("calendar_override_removed", "api:qms-admin", "2025-11-25")]


def test_bad_overrides_are_422_and_need_the_scope(client: FlaskClient, engine: ProcessEngine,
                                                  auth: dict[str, str]) -> None:
    bad = client.put("/api/v1/calendar/overrides/2025-11-25",
                     json={"kind": "shortened", "periods": [["15:00", "09:00"]]}, headers=auth)
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"periods.0": ["A period must end after it starts."]}
    off = client.put("/api/v1/calendar/overrides/2025-11-25", json={"kind": "day_off", "periods": [["09:00", "10:00"]]},
                     headers=auth)
    assert off.get_json()["errors"] == {"periods": ["A day off has no working periods."]}
    assert client.put("/api/v1/calendar/overrides/nope", json={"kind": "day_off"}, headers=auth).status_code == 422
    _c, reader = engine.create_api_client("reader", ["complaints:read"], None)
    denied = client.put("/api/v1/calendar/overrides/2025-11-25", json={"kind": "day_off"},
                        headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403


def test_deadlines_command_prints_the_what_if(app: Flask, engine: ProcessEngine) -> None:
    result = app.test_cli_runner().invoke(args=["deadlines", "--received-at", "2024-12-27T11:00+03:00"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "registered 27.12.2024 11:00 (Europe/Moscow)"
    assert "  1.3  10.01.2025 18:00  Выработать коррекцию и согласовать с клиентом" in lines
    assert "  goal  14.01.2025 18:00  закрыть за 5 рабочих дней" in lines
    naive = app.test_cli_runner().invoke(args=["deadlines", "--received-at", "2024-12-27T11:00"])
    assert naive.exit_code != 0 and "UTC offset" in naive.output
    from engine import Actor

    engine.set_department_calendar("ДКС", "Asia/Yekaterinburg", [], Actor("qms"))
    branch = app.test_cli_runner().invoke(args=["deadlines", "--received-at", "2024-12-27T11:00+03:00",
                                                "--department", "ДКС"])
    assert branch.exit_code == 0, branch.output
    assert branch.output.splitlines()[0] == "registered 27.12.2024 13:00 (Asia/Yekaterinburg)"
    unknown = app.test_cli_runner().invoke(args=["deadlines", "--received-at", "2024-12-27T11:00+03:00",
                                                 "--department", "НЕТ"])
    assert unknown.exit_code != 0 and "Unknown department: НЕТ" in unknown.output


def test_a_branch_calendar_through_the_api_moves_the_card_and_what_if(client: FlaskClient,
                                                                      engine: ProcessEngine) -> None:
    _c, token = engine.create_api_client("qms-branch", ["calendar:write", "complaints:read", "appeals:write"],
                                         None)
    qms = {"Authorization": f"Bearer {token}"}
    _c, read_token = engine.create_api_client("reader", ["complaints:read"], None)
    reader = {"Authorization": f"Bearer {read_token}"}
    with time_machine.travel(dt.datetime(2025, 11, 24, 14, 30, tzinfo=dt.UTC), tick=False):  # 17:30 MSK
        number = client.post("/api/v1/appeals", json={**GOOD, "received_at": "2025-11-24T17:30:00+03:00"},
                             headers=qms).get_json()["complaint_number"]
        assert client.get("/api/v1/calendar/departments/ДКС", headers=reader).get_json()["own"] is False
        put = client.put("/api/v1/calendar/departments/ДКС", headers=qms, json={
            "timezone": "Asia/Yekaterinburg", "holidays": [{"day": "2025-11-25", "note": "региональный праздник"}]})
        assert put.status_code == 200, put.get_json()
        assert put.get_json()["own"] is True and put.get_json()["timezone"] == "Asia/Yekaterinburg"
        assert put.get_json()["holidays"] == [{"day": "2025-11-25", "note": "региональный праздник"}]
        steps = {s["code"]: s for s in client.get(f"/api/v1/complaints/{number}", headers=reader).get_json()["steps"]}
        assert steps["1.1"]["due_at"].startswith("2025-11-26T05:00")  # 10:00 in Yekaterinburg
        branch = client.get("/api/v1/calendar/deadlines", headers=reader, query_string={
            "received_at": "2025-11-24T17:30:00+03:00", "department": "ДКС"}).get_json()
        assert branch["department"] == "ДКС" and branch["timezone"] == "Asia/Yekaterinburg"
        assert branch["steps"][0]["due_at"].startswith("2025-11-26T05:00")
        refused = client.put("/api/v1/calendar/departments/ДКС", headers=reader, json={"timezone": "Asia/Omsk"})
        assert refused.status_code == 403
        assert client.put("/api/v1/calendar/departments/ДКС", json={"timezone": "Asia/Omsk"}).status_code == 401
        bad = client.put("/api/v1/calendar/departments/ДКС", headers=qms, json={"timezone": "Mars/Olympus"})
        assert bad.status_code == 422 and "timezone" in bad.get_json()["errors"]
        unknown = client.get("/api/v1/calendar/deadlines", headers=reader, query_string={"department": "НЕТ"})
        assert unknown.status_code == 422 and unknown.get_json()["errors"] == {
            "department": ["Unknown department: НЕТ."]}
        assert client.delete("/api/v1/calendar/departments/ДКС", headers=qms).status_code == 204
        steps = {s["code"]: s for s in client.get(f"/api/v1/complaints/{number}", headers=reader).get_json()["steps"]}
        assert local(steps["1.1"]["due_at"]) == "2025-11-25 09:30"
    actions = [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.action.startswith("department_c")))]
    assert actions == ["department_calendar_set", "department_calendar_removed"]
