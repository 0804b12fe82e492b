"""The client's own verdict: a one-time survey link sent when stage 1 closes, kept apart from the responsible's."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import ClientSurvey, Complaint, InstanceEvent, Outbox, db
from tests.client.helpers import close_stage1
from tests.conftest import complaint_input, history_events, race
from tests.intake.test_outbox import Inbox
from tests.test_ui_pages import signed_in


@pytest.fixture
def survey_link(wired: ProcessEngine, smtp: tuple[Inbox, int]) -> tuple[str, str]:
    """Close stage 1 of a complaint and read the survey link from the e-mail the client received."""
    _appeal, complaint = wired.register_appeal(complaint_input(contact_email="loskova@example.ru"), Actor("operator"))
    number = complaint.number
    close_stage1(wired, number)
    wired.deliver_outbox()
    [(to, mail)] = [(to, m) for to, m in smtp[0].messages if "Оцените решение" in m["Subject"]]
    assert to == ["loskova@example.ru"] and mail["Subject"].startswith(f"[{number}]")
    found = re.search(r"http://127\.0\.0\.1:5000(/survey/[\w-]+)", mail.get_content())
    assert found, mail.get_content()
    return number, found.group(1)


def test_closing_stage_1_sends_one_unguessable_survey_link(survey_link: tuple[str, str]) -> None:
    _number, path = survey_link
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 40
    survey = db.session.scalars(select(ClientSurvey)).one()
    assert survey.answered_at is None and token not in survey.token_hash  # only the hash is kept
    assert db.session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "client_survey_sent")).one()
    [row] = db.session.scalars(select(Outbox).where(Outbox.kind == "client_survey"))
    assert row.status == "sent" and token not in row.body and "/survey/…" in row.body  # not readable by staff


def test_the_survey_is_answered_once_and_kept_apart(app: Flask, survey_link: tuple[str, str]) -> None:
    number, path = survey_link
    client = app.test_client()
    assert "Помогло ли решение?" in client.get(path).get_data(as_text=True)
    bad = client.post(path, data={"satisfaction": "2", "comment": "Частично"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Ответьте, помогло ли решение." in page and ">Частично</textarea>" in page
    done = client.post(path, data={"solved": "no", "satisfaction": "2", "comment": "Снова медленно"})
    assert done.status_code == 200 and number in done.get_data(as_text=True)
    again = client.post(path, data={"solved": "yes", "satisfaction": "5"})
    assert again.status_code == 410 and "ссылка действует один раз" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    db.session.expire_all()
    survey = db.session.scalars(select(ClientSurvey)).one()
    assert (survey.solved, survey.satisfaction, survey.comment) == (False, 2, "Снова медленно")
    complaint = db.session.scalars(select(Complaint)).one()
    assert complaint.satisfied is True  # the responsible's recorded outcome stays as it was
    card = signed_in(app, "qms").get(f"/complaints/{number}").get_data(as_text=True)
    assert re.search(r'data-test="satisfied">да<', card) and re.search(r'data-test="client-solved">нет<', card)
    assert re.search(r'data-test="client-satisfaction">2<', card)
    [event] = history_events("client_survey_answered")
    assert event.data == {"solved": False, "satisfaction": 2}


def test_a_link_answered_twice_at_the_same_moment_counts_once(app: Flask, survey_link: tuple[str, str]) -> None:
    _number, path = survey_link
    codes = race(app, 4, lambda own, i: own.post(path, data={"solved": "yes", "satisfaction": str(i + 1)}).status_code)
    assert sorted(codes).count(200) == 1 and all(c in (200, 409, 410) for c in codes)


def test_the_survey_over_the_api(app: Flask, client: Any, auth: dict[str, str], survey_link: tuple[str, str]) -> None:
    number, path = survey_link
    token = path.rsplit("/", 1)[1]
    bad = client.post(f"/api/v1/surveys/{token}", json={"solved": True, "satisfaction": 9})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "satisfaction" in bad.get_json()["errors"]
    assert client.post("/api/v1/surveys/not-a-real-token", json={"solved": True, "satisfaction": 4}).status_code == 404
    ok = client.post(f"/api/v1/surveys/{token}", json={"solved": True, "satisfaction": 4, "comment": "Спасибо"})
    assert ok.status_code == 201 and ok.get_json()["satisfaction"] == 4
    used = client.post(f"/api/v1/surveys/{token}", json={"solved": False, "satisfaction": 1})
    assert used.status_code == 409
    verdict = client.get(f"/api/v1/complaints/{number}", headers=auth).get_json()["client_verdict"]
    assert (verdict["solved"], verdict["satisfaction"], verdict["comment"]) == (True, 4, "Спасибо")


def test_an_unknown_survey_link_is_not_found(app: Flask, engine: ProcessEngine) -> None:
    assert app.test_client().get("/survey/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").status_code == 404
