"""The appeal card over the API: every field, a resolution, a reminder that reaches the responsible once,
and an appeal turned into a complaint whose process starts."""
from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import Actor, NewFile, ProcessEngine
from models import Appeal, Complaint, Outbox, Task, db
from tests.conftest import complaint_input
from tests.reports.test_cron import _together
from web.app import create_app

MSK = dt.timezone(dt.timedelta(hours=3))
NOON = dt.datetime(2026, 11, 24, 12, 0, tzinfo=MSK)


def _appeal(engine: ProcessEngine, **overrides: Any) -> str:
    values: dict[str, Any] = {"type": "request", "subject": "Как продлить ИТС?", "text": "Хочу продлить договор ИТС.",
                              "project": "Продление ИТС", **overrides}
    with time_machine.travel(NOON - dt.timedelta(hours=3), tick=False):
        appeal, complaint = engine.register_appeal(complaint_input(**values), Actor("operator"))
    assert complaint is None and appeal.number
    return appeal.number


def test_the_card_has_every_field_of_the_appeal(client: FlaskClient, engine: ProcessEngine,
                                                auth: dict[str, str]) -> None:
    with time_machine.travel(NOON - dt.timedelta(days=1), tick=False):
        earlier = engine.register_appeal(complaint_input(), Actor("operator"))[1]
    scan = NewFile("письмо.pdf", "application/pdf", b"%PDF-1.4 letter")
    number = _appeal(engine, attachments=(scan,), contact_email="client@example.ru")
    with time_machine.travel(NOON + dt.timedelta(days=2, hours=1), tick=False):
        body = client.get(f"/api/v1/appeals/{number}", headers=auth).get_json()
    assert earlier is not None
    assert {k: body[k] for k in ("number", "type", "channel", "state", "subject", "project", "department",
                                 "responsible", "days_open", "remind_at", "closed_at", "resolution",
                                 "complaint_number", "author")} == {
        "number": number, "type": "request", "channel": "phone", "state": "unprocessed",
        "subject": "Как продлить ИТС?", "project": "Продление ИТС", "department": "ДКС",
        "responsible": "Бадыштова К.", "days_open": 2, "remind_at": None, "closed_at": None, "resolution": None,
        "complaint_number": None, "author": "operator"}
    assert body["counterparty"] == {"name": "РРМОО", "inn": "6165456519"}
    assert [a["filename"] for a in body["attachments"]] == ["письмо.pdf"]
    assert [a["number"] for a in body["counterparty_appeals"]] == [earlier.appeal.number]
    assert [c["number"] for c in body["counterparty_complaints"]] == [earlier.number]


def test_resolve_marks_the_appeal_processed_once(client: FlaskClient, engine: ProcessEngine,
                                                 auth: dict[str, str]) -> None:
    number = _appeal(engine)
    with time_machine.travel(NOON, tick=False):
        answer = client.post(f"/api/v1/appeals/{number}/resolve", json={"resolution": "Выслали счёт на ИТС"},
                             headers=auth)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["state"], body["resolution"], body["processed_by"]) == ("processed", "Выслали счёт на ИТС",
                                                                         "api:test-channel")
    assert dt.datetime.fromisoformat(body["closed_at"]) == NOON
    again = client.post(f"/api/v1/appeals/{number}/resolve", json={"resolution": "Ещё раз"}, headers=auth)
    assert again.status_code == 409
    assert db.session.scalar(select(Appeal.resolution).where(Appeal.number == number)) == "Выслали счёт на ИТС"


def test_bad_handling_input_is_422_by_field(client: FlaskClient, engine: ProcessEngine, auth: dict[str, str]) -> None:
    number = _appeal(engine)
    blank = client.post(f"/api/v1/appeals/{number}/resolve", json={"resolution": "   "}, headers=auth)
    assert blank.status_code == 422 and blank.content_type == "application/problem+json"
    assert list(blank.get_json()["errors"]) == ["resolution"]
    past = client.post(f"/api/v1/appeals/{number}/reminder", json={"remind_at": "2020-01-01T10:00:00+03:00"},
                       headers=auth)
    assert past.status_code == 422
    assert past.get_json()["errors"] == {"remind_at": ["The reminder must be in the future."]}
    naive = client.post(f"/api/v1/appeals/{number}/reminder", json={"remind_at": "2030-01-01T10:00:00"},
                        headers=auth)
    assert naive.status_code == 422 and "remind_at" in naive.get_json()["errors"]
    assert client.get("/api/v1/appeals/RP0000000000", headers=auth).status_code == 404
    assert db.session.scalar(select(Appeal.state).where(Appeal.number == number)) == "unprocessed"


def test_a_complaint_appeal_is_not_handled_again(client: FlaskClient, engine: ProcessEngine,
                                                 auth: dict[str, str]) -> None:
    appeal, _complaint = engine.register_appeal(complaint_input(), Actor("operator"))
    answer = client.post(f"/api/v1/appeals/{appeal.number}/complaint", headers=auth)
    assert answer.status_code == 409
    assert db.session.scalars(select(Complaint)).all() == [_complaint]


def test_an_appeal_turned_into_a_complaint_starts_the_complaint_process(
        client: FlaskClient, engine: ProcessEngine, auth: dict[str, str]) -> None:
    number = _appeal(engine, contact_email="client@example.ru", importance="high")
    with time_machine.travel(NOON, tick=False):
        answer = client.post(f"/api/v1/appeals/{number}/complaint", headers=auth)
    assert answer.status_code == 201
    body = answer.get_json()
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == body["complaint_number"]))
    assert complaint is not None and body == {"number": number, "state": "processed",
                                              "complaint_number": complaint.number}
    assert (complaint.appeal.number, complaint.registered_at, complaint.importance) == (number, NOON, "high")
    assert complaint.department.code == "ДКС" and complaint.responsible.display_name == "Бадыштова К."
    task = db.session.scalar(select(Task).where(Task.business_key == complaint.number, Task.status == "open"))
    assert task is not None and task.step == "1.1"
    assert task.due_at == dt.datetime(2026, 11, 24, 13, 0, tzinfo=MSK)  # 1 working hour after it became one
    ack = db.session.scalar(select(Outbox).where(Outbox.kind == "ack_client"))
    assert ack is not None and ack.recipient == "email:client@example.ru" and complaint.number in ack.body
    card = client.get(f"/api/v1/appeals/{number}", headers=auth).get_json()
    assert (card["state"], card["complaint_number"]) == ("processed", complaint.number)
    assert client.get(f"/api/v1/complaints/{complaint.number}", headers=auth).get_json()["appeal"] == number
    assert client.post(f"/api/v1/appeals/{number}/complaint", headers=auth).status_code == 409


def test_only_the_appeals_department_or_qms_handle_it(client: FlaskClient, engine: ProcessEngine) -> None:
    number = _appeal(engine, department="ОПР")
    _c, desk = engine.create_api_client("desk", ["appeals:write", "act_as"], None)
    as_dks = {"Authorization": f"Bearer {desk}", "X-Act-As": "responsible"}  # the demo responsible is of ДКС
    refused = client.post(f"/api/v1/appeals/{number}/resolve", json={"resolution": "Не наше"}, headers=as_dks)
    assert refused.status_code == 403
    as_qms = {"Authorization": f"Bearer {desk}", "X-Act-As": "qms"}
    done = client.post(f"/api/v1/appeals/{number}/resolve", json={"resolution": "Ответили"}, headers=as_qms)
    assert done.status_code == 200 and done.get_json()["processed_by"] == "Матвеева Анна (api:desk)"


def test_a_reminder_reaches_the_responsible_once_with_two_schedulers(
        app: Flask, client: FlaskClient, engine: ProcessEngine, auth: dict[str, str], config: Any) -> None:
    number = _appeal(engine)
    remind_at = NOON + dt.timedelta(days=1)
    with time_machine.travel(NOON, tick=False):
        answer = client.post(f"/api/v1/appeals/{number}/reminder", json={"remind_at": remind_at.isoformat()},
                             headers=auth)
    assert dt.datetime.fromisoformat(answer.get_json()["remind_at"]) == remind_at
    assert engine.send_appeal_reminders(remind_at - dt.timedelta(minutes=1)) == []
    second = create_app(config)
    results = _together([app, second], lambda desk: desk.send_appeal_reminders(remind_at + dt.timedelta(seconds=5)))
    assert sorted(results) == [[], [number]]
    rows = db.session.scalars(select(Outbox).where(Outbox.kind == "appeal_reminder")).all()
    assert len(rows) == 1
    responsible = db.session.scalar(select(Appeal).where(Appeal.number == number)).responsible
    assert rows[0].recipient == f"responsible:{responsible.id}"
    assert rows[0].subject == f"[{number}] Напоминание по обращению {number}"
    assert "Тема: Как продлить ИТС?" in rows[0].body and f"/appeals/{number}" in rows[0].body
    assert engine.send_appeal_reminders(remind_at + dt.timedelta(hours=1)) == []


def test_a_processed_appeal_is_not_reminded(engine: ProcessEngine) -> None:
    number = _appeal(engine)
    with time_machine.travel(NOON, tick=False):
        engine.set_appeal_reminder(number, NOON + dt.timedelta(hours=2), Actor("qms"))
        engine.resolve_appeal(number, "Ответили сразу", Actor("qms"))
    assert engine.send_appeal_reminders(NOON + dt.timedelta(hours=3)) == []
    assert db.session.scalars(select(Outbox).where(Outbox.kind == "appeal_reminder")).all() == []
