"""Writing to the client from the card or the API: through the outbox, in the client's thread, with history."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import ClientMessage, InstanceEvent, Outbox, db
from tests.client.helpers import reply
from tests.conftest import complaint_input
from tests.intake.test_outbox import Inbox
from tests.test_ui_pages import signed_in, token


@pytest.fixture
def answered(wired: ProcessEngine, smtp: tuple[Inbox, int]) -> tuple[str, str]:
    """A complaint whose acknowledgement went out and whose client wrote back; returns (number, ack id)."""
    _appeal, complaint = wired.register_appeal(complaint_input(contact_email="loskova@example.ru"), Actor("operator"))
    wired.deliver_outbox()
    [(_to, ack)] = smtp[0].messages
    wired.ingest_mail(reply("11-subject-tag-only.eml", complaint.number), "smk")
    wired.deliver_outbox()  # the responsible's notice of the reply (demo users have e-mail addresses)
    return complaint.number, ack["Message-ID"]


def test_our_answer_goes_out_in_the_clients_thread(client: Any, auth: dict[str, str], wired: ProcessEngine,
                                                   smtp: tuple[Inbox, int], answered: tuple[str, str]) -> None:
    number, ack_id = answered
    sent = client.post(f"/api/v1/complaints/{number}/messages", headers=auth,
                       json={"text": "Галина Николаевна, завтра в 10:00 перенесём базу на быстрый диск."})
    assert sent.status_code == 201 and sent.get_json()["delivery"] == "pending"
    assert wired.deliver_outbox()["sent"] == 1
    (to, mail) = smtp[0].messages[-1]
    assert to == ["loskova@example.ru"]
    assert mail["Subject"] == f"Re: По претензии [{number}]"  # the tag is there once, not doubled
    assert mail["In-Reply-To"] == "<reply-2@example.ru>"
    assert mail["References"].split() == [ack_id, "<reply-2@example.ru>"]
    assert "перенесём базу на быстрый диск" in mail.get_content()
    ours = db.session.scalars(select(ClientMessage).where(ClientMessage.direction == "out")).one()
    assert ours.message_id == mail["Message-ID"] == ours.outbox.message_id
    assert db.session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "client_message_sent")).one()
    # The client answers our message: it threads in by In-Reply-To alone.
    wired.ingest_mail(reply("10-reply-with-in-reply-to.eml", in_reply_to=mail["Message-ID"]), "smk")
    listed = client.get(f"/api/v1/complaints/{number}/messages", headers=auth).get_json()
    assert [(m["direction"], m["delivery"]) for m in listed] == [("in", None), ("out", "sent"), ("in", None)]
    assert listed[2]["in_reply_to"] == mail["Message-ID"] and listed[2]["attachments"] == ["screen.png"]


def test_bad_messages_are_refused_with_field_errors(client: Any, auth: dict[str, str], engine: ProcessEngine,
                                                    register: Any) -> None:
    no_email = register()  # registered by phone: no e-mail to write to
    empty = client.post(f"/api/v1/complaints/{no_email}/messages", headers=auth, json={"text": ""})
    assert empty.status_code == 422 and "text" in empty.get_json()["errors"]
    refused = client.post(f"/api/v1/complaints/{no_email}/messages", headers=auth, json={"text": "Здравствуйте"})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == {"contact": ["The complaint has no client e-mail to write to."]}
    assert client.post("/api/v1/complaints/P0000000000/messages", headers=auth, json={"text": "x"}).status_code == 404
    assert db.session.scalars(select(Outbox).where(Outbox.kind == "client_reply")).all() == []


def test_who_may_write_and_read(app: Flask, client: Any, engine: ProcessEngine, answered: tuple[str, str]) -> None:
    number, _ack = answered
    _reader, secret = engine.create_api_client("reader", ["complaints:read"], None)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/complaints/{number}/messages", headers=headers).status_code == 200
    assert client.post(f"/api/v1/complaints/{number}/messages", headers=headers, json={"text": "x"}).status_code == 403
    assert client.get(f"/api/v1/complaints/{number}/messages").status_code == 401
    stranger = app.test_client()
    login_page = stranger.get("/login").get_data(as_text=True)
    anonymous = stranger.post(f"/complaints/{number}/messages", data={"text": "x", "csrf_token": token(login_page)})
    assert anonymous.status_code == 401 and 'name="login"' in anonymous.get_data(as_text=True)
    operator = signed_in(app, "operator")
    page = operator.get(f"/complaints/{number}").get_data(as_text=True)
    assert "Сегодня с утра снова медленно" in page and 'data-test="write-to-client"' not in page
    assert operator.post(f"/complaints/{number}/messages", data={"text": "x", "csrf_token": token(page)}
                         ).status_code == 403
    responsible = signed_in(app, "responsible")
    page = responsible.get(f"/complaints/{number}").get_data(as_text=True)
    kept = responsible.post(f"/complaints/{number}/messages", data={"subject": "Уточнение", "text": " ",
                                                                    "csrf_token": token(page)})
    assert kept.status_code == 422
    assert 'value="Уточнение"' in kept.get_data(as_text=True) and "Напишите сообщение." in kept.get_data(as_text=True)
    done = responsible.post(f"/complaints/{number}/messages", data={"subject": "Уточнение", "text": "Когда удобно?",
                                                                    "csrf_token": token(page)})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/complaints/{number}#conversation")
    ours = db.session.scalars(select(ClientMessage).where(ClientMessage.direction == "out")).one()
    assert (ours.subject, ours.body, ours.author) == (f"[{number}] Уточнение", "Когда удобно?", "Бадыштова Кристина")
