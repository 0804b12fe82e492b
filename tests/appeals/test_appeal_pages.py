"""The appeal card as a page: its fields, handling with the message under its field, roles, list links."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import Appeal, Complaint, db
from tests.conftest import complaint_input
from tests.test_ui_pages import signed_in, token


def _appeal(engine: ProcessEngine, **overrides: Any) -> str:
    values: dict[str, Any] = {"type": "suggestion", "subject": "Добавьте чат на сайт", "text": "Было бы удобно.",
                              **overrides}
    appeal, _complaint = engine.register_appeal(complaint_input(**values), Actor("operator"))
    assert appeal.number
    return appeal.number


def test_the_card_shows_the_appeal_and_the_list_links_to_it(app: Flask, engine: ProcessEngine) -> None:
    number = _appeal(engine, project="Сайт")
    client = signed_in(app, "executive")
    assert f'href="/appeals/{number}"' in client.get("/appeals").get_data(as_text=True)
    html = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert f'data-test="appeal-number">{number}<' in html
    assert 'data-test="state">Не обработан<' in html and 'data-test="type">Предложение<' in html
    assert 'data-test="responsible">Бадыштова К.<' in html and "Сайт" in html
    assert 'data-test="resolve-form"' not in html  # an executive reads; the department and QMS handle


def test_a_blank_resolution_comes_back_with_its_message(app: Flask, engine: ProcessEngine) -> None:
    number = _appeal(engine)
    client = signed_in(app, "responsible")
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    answer = client.post(f"/appeals/{number}/resolve", data={"resolution": " ", "csrf_token": token(page)})
    assert answer.status_code == 422
    assert 'data-error-for="resolution">Напишите, как обращение обработано' in answer.get_data(as_text=True)
    bad = client.post(f"/appeals/{number}/reminder", data={"remind_at": "2020-01-01T10:00",
                                                          "csrf_token": token(page)})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="2020-01-01T10:00"' in html
    assert 'data-error-for="remind_at">Укажите дату и время напоминания в будущем.' in html
    done = client.post(f"/appeals/{number}/resolve", data={"resolution": "Передали в отдел сайта",
                                                           "csrf_token": token(page)})
    assert done.status_code == 302
    appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
    assert (appeal.state, appeal.resolution, appeal.processed_by) == ("processed", "Передали в отдел сайта",
                                                                      "Бадыштова Кристина")


def test_a_reminder_typed_on_the_page_is_moscow_time(app: Flask, engine: ProcessEngine) -> None:
    number = _appeal(engine)
    client = signed_in(app, "qms")
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    assert client.post(f"/appeals/{number}/reminder", data={"remind_at": f"{day}T10:30",
                                                            "csrf_token": token(page)}).status_code == 302
    remind_at = db.session.scalar(select(Appeal.remind_at).where(Appeal.number == number))
    assert remind_at == dt.datetime.fromisoformat(f"{day}T10:30+03:00")


def test_another_departments_responsible_is_refused(app: Flask, engine: ProcessEngine) -> None:
    number = _appeal(engine, department="ОПР")
    client = signed_in(app, "responsible")
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    refused = client.post(f"/appeals/{number}/complaint", data={"csrf_token": token(page)})
    assert refused.status_code == 403
    assert db.session.scalars(select(Complaint)).all() == []


def test_turning_into_a_complaint_opens_its_card(app: Flask, engine: ProcessEngine) -> None:
    number = _appeal(engine)
    client = signed_in(app, "qms")
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    answer = client.post(f"/appeals/{number}/complaint", data={"csrf_token": token(page)})
    complaint = db.session.scalar(select(Complaint))
    assert answer.status_code == 302 and answer.headers["Location"] == f"/complaints/{complaint.number}"
    card = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'href="/appeals/{number}" data-test="basis-link">{number}<' in card
