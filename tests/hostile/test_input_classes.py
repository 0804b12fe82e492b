"""Each class of hostile input, on the API and on the pages, gets a 4xx naming the field, never a 500.

Run on PostgreSQL too: that is where NUL, over-long strings and out-of-range numbers become DataErrors.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import ProcessEngine
from engine.people.directory import SCOPES
from models import Appeal, Task, db
from tests.test_ui_pages import signed_in, token

APPEAL = {"type": "complaint", "channel": "phone", "subject": "Долго грузится", "text": "Ждёт по 3 минуты.",
          "department": "ДКС"}
TEXT_CLASSES = {"nul": "Сохранённый текст\x00", "control": "Сохранённый текст\x07\x1b",
                "surrogate": "Сохранённый текст\ud800"}
SURROGATE_BYTES = "%ED%A0%80"  # a lone surrogate as a browser-less client would send it: invalid UTF-8


def form(data: dict[str, str]) -> dict[str, Any]:
    """Form fields URL-encoded by hand, so a lone surrogate goes out as the invalid UTF-8 bytes it would be."""
    parts = [f"{quote(k)}={quote(v.replace(chr(0xD800), '@@'), safe='')}".replace("%40%40", SURROGATE_BYTES)
             for k, v in data.items()]
    return {"data": "&".join(parts), "content_type": "application/x-www-form-urlencoded"}
RU = {"nul": "Содержит управляющие", "control": "Содержит управляющие", "surrogate": "invalid UTF-8",
      "long": "Не длиннее 300 знаков", "date": "Укажите дату"}


@pytest.fixture
def api(app: Flask, engine: ProcessEngine) -> dict[str, str]:
    _c, secret = engine.create_api_client("every-scope", list(SCOPES), None)
    return {"Authorization": f"Bearer {secret}"}


def appeals() -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal))


def _problem(answer: Any, field: str, status: int = 422) -> list[str]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert field in body["errors"], body
    return body["errors"][field]


RAW_BODIES = {
    "lone surrogate escape": (b'{"type": "complaint", "channel": "phone", "subject": "a\\ud800", "text": "t"}',
                              "subject", "invalid characters"),
    "NUL escape": (b'{"type": "complaint", "channel": "phone", "subject": "a", "text": "t\\u0000"}', "text",
                   "control characters"),
    "control character in a key": (b'{"type": "complaint", "a\\u0007": 1}', "a\x07", "control characters"),
    "invalid UTF-8": (b'{"type": "complaint", "subject": "\xed\xa0\x80"}', "_body", "not valid UTF-8"),
    "duplicate keys": (b'{"type": "complaint", "subject": "a", "subject": "b"}', "subject", "more than once"),
    "deep nesting": (b'{"subject": ' + b"[" * 5000 + b"]" * 5000 + b"}", "_body", "Nested more than"),
    "moderately deep nesting": (b'{"contact": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}", "contact.a.a.a",
                                "Nested more than"),
}


@pytest.mark.parametrize("name", RAW_BODIES)
def test_api_json_bodies_are_read_strictly(client: FlaskClient, api: dict[str, str], name: str) -> None:
    raw, field, message = RAW_BODIES[name]
    answer = client.post("/api/v1/appeals", data=raw, headers={**api, "Content-Type": "application/json"})
    found = _problem(answer, field if name != "moderately deep nesting" else next(iter(answer.get_json()["errors"])))
    assert any(message in m for m in found), found
    assert appeals() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_api_wrong_content_type_is_422_naming_the_body(client: FlaskClient, api: dict[str, str],
                                                       content_type: str) -> None:
    answer = client.post("/api/v1/appeals", data="type=complaint", headers={**api, "Content-Type": content_type})
    assert _problem(answer, "_body") == ["Send the body as application/json."]


API_VALUES = {
    "string over the column": ({"subject": "я" * 301}, "subject"),
    "nested string over the column": ({"contact": {"phone": "1" * 61}}, "contact.phone"),
    "INN of non-ASCII digits": ({"counterparty": {"inn": "²" * 10}}, "counterparty.inn"),
    "date year 10000": ({"situation_date": "10000-01-01"}, "situation_date"),
    "date year 0": ({"situation_date": "0000-12-31"}, "situation_date"),
    "far past date": ({"situation_date": "0001-01-01"}, "situation_date"),
    "far future date": ({"situation_date": "9999-12-31"}, "situation_date"),
    "far past time": ({"received_at": "0001-01-01T00:00:00+03:00"}, "received_at"),
    "far future time": ({"received_at": "9999-12-31T23:59:59-12:00"}, "received_at"),
}


@pytest.mark.parametrize("name", API_VALUES)
def test_api_values_beyond_columns_are_422_with_the_field(client: FlaskClient, api: dict[str, str],
                                                          name: str) -> None:
    change, field = API_VALUES[name]
    answer = client.post("/api/v1/appeals", json={**APPEAL, **change}, headers=api)
    assert _problem(answer, field)
    assert appeals() == 0


def test_api_numbers_beyond_the_column_are_not_found_or_refused(client: FlaskClient, api: dict[str, str]) -> None:
    huge = 2**31
    answer = client.post(f"/api/v1/incidents/{huge}/resolve", json={"comment": "x"}, headers=api)
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    survey = client.post("/api/v1/surveys/x", json={"solved": True, "satisfaction": 10**20, "comment": ""})
    assert survey.status_code == 422 and "satisfaction" in survey.get_json()["errors"]


def test_api_task_form_data_with_control_characters_is_422(client: FlaskClient, api: dict[str, str],
                                                           register: Any) -> None:
    register()
    task = db.session.scalar(select(Task).where(Task.status == "open"))
    answer = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api, json={"data": {
        "belongs_to_department": True, "accept_comment": "ok\x00"}})
    assert any("control characters" in m for m in _problem(answer, "data.accept_comment"))
    assert db.session.get(Task, task.id).status == "open"


def test_api_query_strings_with_nul_are_422(client: FlaskClient, api: dict[str, str]) -> None:
    answer = client.get("/api/v1/tasks", query_string={"complaint": "P\x00"}, headers=api)
    assert any("control characters" in m for m in _problem(answer, "query.complaint"))


# --- pages: the form comes back with the message and what was typed --------------------------------------------

def _page(answer: Any, message: str, kept: str = "Сохранённый текст", field: str = "") -> str:
    """The form again with the message and what was typed; bytes no browser sends (invalid UTF-8, the form of
    a lone surrogate) come back as U+FFFD in the field, with the same message as a control character."""
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, html[:2000]
    assert "Неверные данные" not in html, html[:2000]  # the form itself, not a bare error page
    if message == RU["surrogate"]:
        message = RU["nul"]
    assert message in html and kept in html, html[:3000]
    return html


PAGE_VALUES = {**{k: ({"subject": v}, k) for k, v in TEXT_CLASSES.items()},
               "long": ({"subject": "Сохранённый текст" + "я" * 300}, "long"),
               "far past date": ({"situation_date": "0001-01-01", "subject": "Сохранённый текст"}, "date"),
               "year 10000": ({"situation_date": "10000-01-01", "subject": "Сохранённый текст"}, "date")}


@pytest.mark.parametrize("name", PAGE_VALUES)
def test_registration_form_keeps_the_input_and_names_the_field(app: Flask, engine: ProcessEngine, name: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = signed_in(app, "operator")
    change, message = PAGE_VALUES[name]
    answer = client.post("/appeals/new", **form({**APPEAL, "text": "Текст", **change}))
    _page(answer, RU[message], field=next(iter(change)) if message != "date" else "")
    assert appeals() == 0


FEEDBACK = {"type": "complaint", "message": "Сохранённый текст", "full_name": "Сидоров П.",
            "consent_personal_data": "on", "consent_agreement": "on"}


@pytest.mark.parametrize("name", [*TEXT_CLASSES, "long"])
def test_public_feedback_form_keeps_the_input(client: FlaskClient, engine: ProcessEngine, name: str) -> None:
    field, value = ("full_name", "Сохранённый текст" + "я" * 200) if name == "long" else ("message", TEXT_CLASSES[name])
    answer = client.post("/feedback", **form({**FEEDBACK, field: value}))
    _page(answer, "Не длиннее 200 знаков" if name == "long" else RU[name], field=field)
    assert appeals() == 0


@pytest.mark.parametrize("name", [*TEXT_CLASSES, "long"])
def test_rating_form_keeps_the_input(client: FlaskClient, engine: ProcessEngine, name: str) -> None:
    field, value = ("author_name", "Сохранённый текст" + "я" * 200) if name == "long" else ("comment",
                                                                                             TEXT_CLASSES[name])
    answer = client.post("/rate?kind=delivery", **form({"rating": "5", "consent_personal_data": "on", field: value}))
    _page(answer, "Не длиннее 200 знаков" if name == "long" else RU[name], field=field)


@pytest.mark.parametrize("rating", ["²", "99999999999999999999999", "-1", "٣"])
def test_rating_beyond_the_scale_is_a_field_message(client: FlaskClient, engine: ProcessEngine, rating: str) -> None:
    answer = client.post("/rate?kind=delivery", data={"rating": rating, "comment": "Сохранённый текст"})
    _page(answer, "Поставьте оценку от 1 до 5")


@pytest.mark.parametrize("name", TEXT_CLASSES)
def test_track_form_refuses_unstorable_characters(client: FlaskClient, engine: ProcessEngine, name: str) -> None:
    answer = client.post("/track", **form({"number": "P2611240001", "contact": TEXT_CLASSES[name]}))
    _page(answer, RU[name], kept="P2611240001", field="contact")


@pytest.mark.parametrize("name", TEXT_CLASSES)
def test_task_form_keeps_the_input(app: Flask, engine: ProcessEngine, register: Any, name: str) -> None:
    register()
    task = db.session.scalar(select(Task).where(Task.status == "open"))
    client = signed_in(app, "qms")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    answer = client.post(f"/tasks/{task.id}", **form({"csrf_token": token(page), "belongs_to_department": "true",
                                                       "accept_comment": TEXT_CLASSES[name]}))
    _page(answer, RU[name], field="accept_comment")
    assert db.session.get(Task, task.id).status == "open"


def test_list_pages_take_any_number_in_the_query(app: Flask, engine: ProcessEngine, register: Any) -> None:
    register()
    client = signed_in(app, "qms")
    for query in ("page=99999999999999999999999", "page=²", "responsible=99999999999999999999", "responsible=²"):
        assert client.get(f"/complaints?{query}").status_code == 200, query
    refused = client.get("/complaints", query_string={"q": "a\x00"})
    assert refused.status_code == 422 and "query.q" in refused.get_data(as_text=True)


# --- invalid UTF-8 in the other page forms: a message where the form shows them, nothing stored mangled -------

BAD = TEXT_CLASSES["surrogate"]  # goes out as the invalid UTF-8 bytes a lone surrogate would be


def _nothing_mangled() -> None:
    from models import ClientMessage, DepartmentCalendar, KpiWeight
    from tests.conftest import history_events

    db.session.expire_all()
    texts = [repr(e.data) for e in history_events()] + \
        [m.subject + m.body for m in db.session.scalars(select(ClientMessage))] + \
        [c.timezone for c in db.session.scalars(select(DepartmentCalendar))] + \
        [repr(w.__dict__) for w in db.session.scalars(select(KpiWeight))]
    assert not [t for t in texts if "\ufffd" in t or "%ED" in t]


def test_password_form_refuses_invalid_utf8_and_keeps_the_password(app: Flask, engine: ProcessEngine) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = signed_in(app, "qms")
    answer = client.post("/account/password", **form({"current": "demo", "new": BAD + "12345678",
                                                       "repeat": BAD + "12345678"}))
    assert answer.status_code == 200 and RU["nul"] in answer.get_data(as_text=True)
    signed_in(app, "qms")  # the old password still works


def test_login_form_answers_invalid_utf8_with_its_message(app: Flask, engine: ProcessEngine) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    answer = app.test_client().post("/login", **form({"login": BAD, "password": "demo"}))
    assert answer.status_code == 200 and "Неверный логин или пароль" in answer.get_data(as_text=True)


@pytest.mark.parametrize("page", ["messages", "reassign", "kpi", "calendar"])
def test_card_task_and_qms_forms_refuse_invalid_utf8(app: Flask, engine: ProcessEngine, register: Any,
                                                     page: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    number = register(contact_email="loskova@example.ru")
    task = db.session.scalar(select(Task).where(Task.status == "open"))
    before = task.assignee_id
    client = signed_in(app, "qms")
    url, data, shown = {
        "messages": (f"/complaints/{number}/messages", {"subject": BAD, "text": "Текст"},
                     "Содержит управляющие или недопустимые символы"),
        "reassign": (f"/tasks/{task.id}/reassign", {"reason": BAD, "user": "head_dks"}, None),
        "kpi": ("/reports/kpi/weights", {"on_time": BAD}, "Целое число от 0 до 100"),
        "calendar": ("/calendar/departments/ДКС", {"timezone": BAD}, "Неизвестный часовой пояс")}[page]
    answer = client.post(url, **form(data))
    html = answer.get_data(as_text=True)
    assert answer.status_code < 500 and "Неверные данные" not in html
    if shown is None:  # the reassign form reports by a flash on the task page it returns to
        assert answer.status_code == 302
        flashed = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert "Содержит управляющие или недопустимые символы." in flashed, flashed[:3000]
        db.session.expire_all()
        assert db.session.get(Task, task.id).assignee_id == before
    else:
        assert answer.status_code == 422 and shown in html
    _nothing_mangled()
