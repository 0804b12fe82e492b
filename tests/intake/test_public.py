"""The site feedback form, the rating widgets and the channel API: consent, spam, limits, exactly once."""
from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import ProcessEngine
from models import Appeal, Complaint, Consent, Outbox, Review, db
from tests.api.test_appeals import GOOD
from tests.conftest import race

FORM = {"type": "complaint", "message": "Менеджер нагрубил по телефону", "full_name": "Сидоров П.",
        "organisation": "ООО Ромашка", "inn": "7707083893", "phone": "+7 900 1", "email": "sidorov@example.ru",
        "consent_personal_data": "on", "consent_agreement": "on"}


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_site_complaint_registers_promises_a_date_and_notifies(client: FlaskClient, engine: ProcessEngine) -> None:
    answer = client.post("/feedback", data=FORM, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'data-test="appeal-number">RP' in html
    assert "в течение трёх рабочих дней" in html and "— до " in html
    appeal = db.session.scalars(select(Appeal)).one()
    assert (appeal.channel, appeal.type, appeal.counterparty.inn) == ("site_form", "complaint", "7707083893")
    consents = db.session.scalars(select(Consent)).all()
    assert sorted(c.kind for c in consents) == ["personal_data", "user_agreement"]
    assert {(c.text_version, c.ip) for c in consents} == {("2026-11-01", "198.51.100.7")}
    recipients = {o.recipient for o in db.session.scalars(select(Outbox).where(Outbox.kind == "site_complaint"))}
    assert recipients == {"group:ceo", "group:СМК"}
    ack = db.session.scalars(select(Outbox).where(Outbox.kind == "ack_client")).one()
    assert ack.recipient == "email:sidorov@example.ru"


def test_gratitude_is_registered_without_a_complaint(client: FlaskClient, engine: ProcessEngine) -> None:
    html = client.post("/feedback", data={**FORM, "type": "gratitude"}).get_data(as_text=True)
    assert "Ответ будет подготовлен" not in html and count(Complaint) == 0 and count(Appeal) == 1


def test_bad_feedback_is_refused_field_by_field_and_nothing_is_created(client: FlaskClient,
                                                                       engine: ProcessEngine) -> None:
    cases = [
        ({"consent_personal_data": ""}, "consent_personal_data", "персональных данных"),
        ({"consent_agreement": ""}, "consent_agreement", "пользовательское соглашение"),
        ({"message": " "}, "message", "Напишите сообщение"),
        ({"inn": "7707083894"}, "inn", "Контрольные цифры ИНН"),
        ({"email": "sidorov@"}, "email", "Неверный адрес электронной почты"),
    ]
    for change, field, text in cases:
        answer = client.post("/feedback", data={**FORM, **change})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, field
        assert f'data-error-for="{field}"' in html and text in html
        assert "Менеджер нагрубил" in html or field == "message"
    script = client.post("/feedback", data={**FORM, "file": (io.BytesIO(b"MZ..."), "invoice.exe")},
                         content_type="multipart/form-data")
    assert script.status_code == 422 and "invoice.exe: файлы .exe не принимаются" in script.get_data(
        as_text=True)
    big = client.post("/feedback", data={**FORM, "file": (io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "scan.pdf")},
                      content_type="multipart/form-data")
    assert big.status_code == 422 and "scan.pdf: файл больше 5 МБ" in big.get_data(as_text=True)
    assert (count(Appeal), count(Consent), count(Outbox)) == (0, 0, 0)


def test_robots_and_floods_are_stopped(client: FlaskClient, engine: ProcessEngine) -> None:
    trapped = client.post("/feedback", data={**FORM, "website": "http://spam.example"})
    assert trapped.status_code == 200 and count(Appeal) == 0
    statuses = [client.post("/feedback", data={**FORM, "type": "suggestion"},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429] and count(Appeal) == 5
    other = client.post("/feedback", data=FORM, environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert other.status_code == 200


def test_feedback_api_endpoint(client: FlaskClient, engine: ProcessEngine) -> None:
    body = {**{k: v for k, v in FORM.items() if not k.startswith("consent")}, "consent_personal_data": True,
            "consent_agreement": True}
    answer = client.post("/api/v1/feedback", json=body)
    assert answer.status_code == 201 and answer.get_json()["complaint_number"].startswith("P")
    refused = client.post("/api/v1/feedback", json={**body, "consent_agreement": False})
    assert refused.status_code == 422 and "consent_agreement" in refused.get_json()["errors"]


def test_low_manager_rating_becomes_a_complaint_for_the_department(client: FlaskClient,
                                                                    engine: ProcessEngine) -> None:
    page = client.get("/rate?employee=responsible").get_data(as_text=True)
    assert "Бадыштова Кристина" in page
    low = client.post("/rate", data={"kind": "manager", "employee": "responsible", "rating": "2",
                                     "comment": "Не перезвонила", "publish": "on"})
    assert low.status_code == 200 and "Спасибо за оценку" in low.get_data(as_text=True)
    high = client.post("/rate", data={"kind": "manager", "employee": "responsible", "rating": "5",
                                      "comment": "Всё отлично"})
    assert high.status_code == 200
    complaint = db.session.scalars(select(Complaint)).one()
    assert (complaint.department.code, complaint.appeal.channel) == ("ДКС", "rate_manager")
    assert complaint.appeal.text == "Не перезвонила" and count(Review) == 2
    reviews = client.get("/reviews").get_data(as_text=True)
    assert "Не перезвонила" in reviews and "Всё отлично" not in reviews
    unknown = client.post("/rate", data={"kind": "manager", "employee": "ghost", "rating": "1", "comment": "x"})
    assert unknown.status_code == 422 and "Нет сотрудника ghost" in unknown.get_data(as_text=True)
    no_consent = client.post("/rate", data={"kind": "manager", "employee": "responsible", "rating": "4",
                                            "author_name": "Иван"})
    assert no_consent.status_code == 422 and count(Review) == 2


def test_low_delivery_rating_goes_to_the_commercial_director(client: FlaskClient, engine: ProcessEngine) -> None:
    client.post("/rate", data={"kind": "delivery", "rating": "1", "comment": "Привезли через неделю"})
    complaint = db.session.scalars(select(Complaint)).one()
    assert (complaint.department.code, complaint.appeal.channel) == ("ОПР", "delivery_rating")
    note = db.session.scalars(select(Outbox).where(Outbox.kind == "low_rating")).one()
    assert note.recipient == "group:commerce" and "Привезли через неделю" in note.body


def test_idempotency_key_makes_a_retry_harmless(client: FlaskClient, auth: dict[str, str],
                                                engine: ProcessEngine, app: Flask) -> None:
    headers = {**auth, "Idempotency-Key": "site-42"}
    first = client.post("/api/v1/appeals", json=GOOD, headers=headers)
    again = client.post("/api/v1/appeals", json=GOOD, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["complaint_number"] == again.get_json()["complaint_number"]
    assert count(Appeal) == 1
    other = client.post("/api/v1/appeals", json={**GOOD, "subject": "Другое"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]
    numbers = race(app, 3, lambda own, _i: own.post("/api/v1/appeals", json=GOOD, headers={
        **auth, "Idempotency-Key": "race"}).get_json().get("number", "error"))
    assert len(set(numbers)) == 1 and "error" not in numbers and count(Appeal) == 2


def test_clients_limited_to_their_channels_and_requests_to_their_size(client: FlaskClient,
                                                                      engine: ProcessEngine) -> None:
    _c, token = engine.create_api_client("widget", ["appeals:write"], None, ["rate_manager"])
    answer = client.post("/api/v1/appeals", json=GOOD, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and "channel phone" in answer.get_json()["detail"]
    ok = client.post("/api/v1/appeals", json={**GOOD, "channel": "rate_manager"},
                     headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 201
    huge = client.post("/api/v1/appeals", data=b"{" + b" " * (11 * 1024 * 1024) + b"}",
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.content_type == "application/problem+json"
