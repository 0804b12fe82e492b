"""The client's status page: right contact shows the stage, wrong data gives one answer, guessing is limited."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event, select

from engine import Actor, ProcessEngine
from engine.time.deadlines import CalendarSource
from models import Task, db
from tests.conftest import complaint_input

MONDAY = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)


def registered(engine: ProcessEngine, **overrides: Any) -> str:
    values = {"contact_email": "loskova@example.ru", **overrides}
    _appeal, complaint = engine.register_appeal(complaint_input(**values), Actor("operator"))
    return complaint.number


def accept(engine: ProcessEngine, number: str) -> None:
    task = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
    engine.complete_task(task.id, {"belongs_to_department": True}, Actor("Бадыштова Ксения"))


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_the_right_contact_shows_stage_date_and_steps_without_staff(app: Flask, engine: ProcessEngine) -> None:
    with time_machine.travel(MONDAY, tick=False) as clock:
        number = registered(engine)
        clock.move_to(MONDAY + dt.timedelta(minutes=20))
        accept(engine, number)
        client = app.test_client()
        form = client.get(f"/track?number={number}").get_data(as_text=True)
        assert f'value="{number}"' in form  # the link in the acknowledgement fills the number in
        by_email = client.post("/track", data={"number": number, "contact": " Loskova@Example.RU "})
        by_phone = client.post("/track", data={"number": number.lower(), "contact": "+7 951 511-35-23"})
    assert by_email.status_code == 200 and by_phone.status_code == 200
    page = by_email.get_data(as_text=True)
    assert "Рассматривается: мы работаем над решением" in page
    assert "27.11.2025 18:00" in page  # 1.3: three working days, not counting the day of receipt (Moscow time)
    assert "1.1 Принять претензию в работу" in page and "24.11.2025 13:20" in page
    assert 'data-step="1.1"' in page and 'data-step="1.2"' not in page  # 1.2 is not done yet
    for internal in ("Бадыштова", "operator", "Долго загружается программа", "ДКС", "РРМОО"):
        assert internal not in page


def test_a_wrong_contact_and_an_unknown_number_are_indistinguishable(app: Flask, engine: ProcessEngine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The calendars are looked up again once 2 s have passed, whatever the request: on a loaded machine that
    # fell between the two look-ups and only the first one read the calendar tables. Both read none here.
    monkeypatch.setattr(CalendarSource, "RECHECK_SECONDS", float("inf"))
    number = registered(engine)
    registered(engine, contact_email="other@example.ru", contact_phone="+7 900 000-00-00", contact_name="Петров Иван",
               counterparty_name="ООО Другая", inn=None)
    unknown = "P" + ("9" * (len(number) - 1))
    client = app.test_client()
    with statements() as for_wrong_contact:
        wrong = client.post("/track", data={"number": number, "contact": "other@example.ru"})
    with statements() as for_unknown:
        missing = client.post("/track", data={"number": unknown, "contact": "other@example.ru"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.get_data(as_text=True).replace(number, "N") == missing.get_data(as_text=True).replace(unknown, "N")
    assert sorted(wrong.headers.keys()) == sorted(missing.headers.keys())
    assert wrong.headers["Content-Length"] == missing.headers["Content-Length"]
    assert len(for_wrong_contact) >= 3 and for_wrong_contact == for_unknown  # same queries: no timing to read
    assert "Не нашли претензию с таким номером и контактом" in wrong.get_data(as_text=True)
    assert "other@example.ru" in wrong.get_data(as_text=True)  # what was typed is kept


def test_look_ups_are_limited_per_address(app: Flask, engine: ProcessEngine) -> None:
    number = registered(engine)
    limit = app.config["TRACK_RATE_LIMIT"]
    with time_machine.travel(MONDAY, tick=False) as clock:
        client = app.test_client()
        for i in range(limit):
            assert client.post("/track", data={"number": number, "contact": f"guess{i}@example.ru"}).status_code == 404
        blocked = client.post("/track", data={"number": number, "contact": "loskova@example.ru"})
        assert blocked.status_code == 429 and "Слишком много попыток" in blocked.get_data(as_text=True)
        elsewhere = client.post("/track", data={"number": number, "contact": "loskova@example.ru"},
                                environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert elsewhere.status_code == 200
        api = client.post("/api/v1/track", json={"number": number, "contact": "loskova@example.ru"})
        assert api.status_code == 429
        clock.move_to(MONDAY + dt.timedelta(minutes=11))
        assert client.post("/track", data={"number": number, "contact": "loskova@example.ru"}).status_code == 200


def test_the_status_over_the_api(app: Flask, engine: ProcessEngine) -> None:
    number = registered(engine)
    client = app.test_client()
    ok = client.post("/api/v1/track", json={"number": number, "contact": "loskova@example.ru"})
    assert ok.status_code == 200
    body = ok.get_json()
    assert (body["number"], body["stage"], body["steps"]) == (number, "stage1", [])
    assert body["answer_by"] and set(body) == {"number", "registered_at", "stage", "answer_by", "stage1_closed_at",
                                               "steps"}
    wrong = client.post("/api/v1/track", json={"number": number, "contact": "nobody@example.ru"})
    missing = client.post("/api/v1/track", json={"number": "P0000000001", "contact": "loskova@example.ru"})
    assert wrong.status_code == missing.status_code == 404 and wrong.get_json() == missing.get_json()
    bad = client.post("/api/v1/track", json={"number": number})
    assert bad.status_code == 422 and "contact" in bad.get_json()["errors"]


def test_the_status_page_speaks_english_second(app: Flask, engine: ProcessEngine) -> None:
    number = registered(engine)
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    found = client.post("/track", data={"number": number, "contact": "loskova@example.ru"}).get_data(as_text=True)
    assert "In progress: we are working on a solution" in found and "Answer promised by" in found
    missing = client.post("/track", data={"number": number, "contact": "x@example.ru"}).get_data(as_text=True)
    assert "No complaint found with this number and contact." in missing
