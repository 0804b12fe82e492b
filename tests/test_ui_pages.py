"""Server-rendered pages through the test client: CSRF, roles, lists with filters, attachments."""
from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import Attachment, Task, db


def signed_in(app: Flask, login: str) -> FlaskClient:
    # The test keeps one app context open, so Flask-WTF's per-context token cache would leak between clients.
    g.pop("csrf_token", None)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"login": login, "password": "demo", "csrf_token": token(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def token(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_forms_without_a_csrf_token_are_refused(app: Flask, engine: ProcessEngine, register: Any) -> None:
    register()
    client = signed_in(app, "responsible")
    task = db.session.scalars(select(Task)).first()
    refused = client.post(f"/tasks/{task.id}", data={"belongs_to_department": "true"})
    assert refused.status_code == 400
    assert db.session.get(Task, task.id).status == "open"
    assert client.post("/login", data={"login": "qms", "password": "demo"}).status_code == 400


def test_wrong_password_is_refused(app: Flask, engine: ProcessEngine) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"login": "qms", "password": "nope", "csrf_token": token(page)})
    assert answer.status_code == 200 and "Неверный логин или пароль." in answer.get_data(as_text=True)
    refused = client.get("/inbox?sort=due")
    assert refused.status_code == 401
    assert 'action="/login?next=/inbox?sort%3Ddue"' in refused.get_data(as_text=True)


def test_lists_filter_and_search(app: Flask, engine: ProcessEngine, register: Any) -> None:
    first = register(department="ДКС")
    second = register(department="ОПР", inn="7707083893", counterparty_name="ООО «Ромашка»",
                      text="Не вернули оплату за 10 дней")
    engine.register_appeal(__import__("tests.conftest", fromlist=["complaint_input"]).complaint_input(
        type="gratitude", subject="Спасибо"), Actor("operator"))
    client = signed_in(app, "qms")

    def numbers(url: str) -> set[str]:
        html = client.get(url).get_data(as_text=True)
        return set(re.findall(r">(P\d{10})<", html))

    assert numbers("/complaints") == {first, second}
    assert numbers("/complaints?department=ОПР") == {second}
    assert numbers("/complaints?q=7707083893") == {second}
    assert numbers("/complaints?q=оплату") == {second}
    assert numbers(f"/complaints?q={first}") == {first}
    assert numbers("/complaints?state=closed") == set()
    assert numbers("/complaints?from=2000-01-01&to=2000-12-31") == set()
    appeals = client.get("/appeals?type=gratitude").get_data(as_text=True)
    assert "Спасибо" in appeals and "Долго загружается" not in appeals


def test_registration_stores_attachments_and_the_card_serves_them(app: Flask, engine: ProcessEngine) -> None:
    client = signed_in(app, "operator")
    page = client.get("/appeals/new").get_data(as_text=True)
    answer = client.post("/appeals/new", content_type="multipart/form-data", data={
        "csrf_token": token(page), "type": "complaint", "channel": "phone", "importance": "normal",
        "kind": "external", "department": "ДКС", "subject": "Скан договора", "text": "Не приложен скан",
        "attachments": [(io.BytesIO(b"%PDF-1.4 test"), "договор.pdf", "application/pdf")]})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Обращение зарегистрировано" in html
    number = re.search(r'data-test="complaint-number">(P\d+)<', html).group(1)
    stored = db.session.scalars(select(Attachment)).one()
    assert (stored.filename, stored.size, stored.content_type) == ("договор.pdf", 13, "application/pdf")
    reader = signed_in(app, "qms")
    card = reader.get(f"/complaints/{number}").get_data(as_text=True)
    assert "договор.pdf" in card
    download = reader.get(f"/attachments/{stored.id}")
    assert download.data == b"%PDF-1.4 test" and "attachment" in download.headers["Content-Disposition"]


def test_reassigning_needs_a_reason_and_lands_in_the_assignment_history(app: Flask, engine: ProcessEngine,
                                                                        register: Any) -> None:
    number = register()
    client = signed_in(app, "responsible")
    task = db.session.scalars(select(Task)).first()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    refused = client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token(page), "user": "qms"},
                          follow_redirects=True)
    assert "Укажите причину переназначения." in refused.get_data(as_text=True)
    client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token(page), "user": "qms",
                                                    "reason": "Клиент VIP, ведёт СМК"})
    db.session.expire_all()
    assert db.session.get(Task, task.id).assignee.login == "qms"
    card = signed_in(app, "qms").get(f"/complaints/{number}").get_data(as_text=True)
    history = card.split('data-test="assignments"')[1].split("</ul>")[0]
    assert "responsible → qms (Клиент VIP, ведёт СМК)" in history


def test_form_errors_speak_the_language_of_the_page(app: Flask, engine: ProcessEngine, register: Any) -> None:
    register()
    client = signed_in(app, "responsible")
    task = db.session.scalars(select(Task)).first()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    russian = client.post(f"/tasks/{task.id}", data={"csrf_token": token(page)}).get_data(as_text=True)
    assert 'data-error-for="belongs_to_department">Обязательное поле.<' in russian
    client.post("/lang/en", data={"csrf_token": token(page), "next": f"/tasks/{task.id}"})
    g.pop("_flask_babel", None)  # Flask-Babel caches the locale per app context, which this test keeps open
    english = client.post(f"/tasks/{task.id}", data={"csrf_token": token(page)}).get_data(as_text=True)
    assert 'data-error-for="belongs_to_department">This field is required.<' in english
    api = app.test_client().post(f"/api/v1/tasks/{task.id}/complete", json={"data": {}},
                                 headers={"Authorization": f"Bearer {engine.create_api_client('x', [], None)[1]}"})
    assert api.get_json()["errors"] == {"belongs_to_department": ["This field is required."]}


def test_error_pages_and_engine_refusals_speak_the_language_of_the_page(app: Flask, engine: ProcessEngine) -> None:
    client = signed_in(app, "responsible")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "404 · Не найдено" in client.get("/tasks/987654").get_data(as_text=True)
    refused = client.post("/tasks/987654/claim", data={"csrf_token": token(page), "next": "/"}, follow_redirects=True)
    assert "Нет задачи 987654." in refused.get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": token(page), "next": "/"})
    g.pop("_flask_babel", None)  # Flask-Babel caches the locale per app context, which this test keeps open
    assert "404 · Not found" in client.get("/tasks/987654").get_data(as_text=True)
    refused = client.post("/tasks/987654/claim", data={"csrf_token": token(page), "next": "/"}, follow_redirects=True)
    assert "No task 987654." in refused.get_data(as_text=True)
