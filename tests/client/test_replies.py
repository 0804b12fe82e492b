"""Client replies by e-mail thread into their complaint instead of becoming new complaints."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from engine import Actor, ProcessEngine
from models import (
    Appeal,
    Attachment,
    ClientMessage,
    Complaint,
    IngestedMessage,
    Outbox,
    ProcessInstance,
    db,
)
from tests.client.helpers import close_stage1, reply
from tests.conftest import complaint_input, history_events
from tests.intake.test_outbox import Inbox

MONDAY = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def acknowledged(wired: ProcessEngine, smtp: tuple[Inbox, int]) -> tuple[str, Any]:
    """A complaint with the client's e-mail whose acknowledgement went out through SMTP."""
    with time_machine.travel(MONDAY, tick=False):
        _appeal, complaint = wired.register_appeal(complaint_input(contact_email="loskova@example.ru"),
                                                   Actor("operator"))
        assert wired.deliver_outbox()["sent"] == 1
    [(_to, ack)] = smtp[0].messages
    return complaint.number, ack


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_every_message_carries_a_kept_message_id_and_the_number_tag(acknowledged: tuple[str, Any]) -> None:
    number, ack = acknowledged
    assert ack["Subject"].startswith(f"[{number}] ")
    row = db.session.scalars(select(Outbox).where(Outbox.kind == "ack_client")).one()
    assert row.message_id == ack["Message-ID"] and row.message_id.startswith("<desk-")
    assert f"/track?number={number}" in ack.get_content()


def test_a_reply_with_in_reply_to_joins_its_complaint(wired: ProcessEngine, acknowledged: tuple[str, Any]) -> None:
    number, ack = acknowledged
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        message = wired.ingest_mail(reply("10-reply-with-in-reply-to.eml", in_reply_to=ack["Message-ID"]), "smk")
    assert isinstance(message, ClientMessage)
    assert (count(Appeal), count(Complaint), count(ProcessInstance)) == (1, 1, 1)
    stored = db.session.scalars(select(ClientMessage)).one()
    complaint = db.session.scalars(select(Complaint)).one()
    assert stored.complaint_id == complaint.id and stored.direction == "in"
    assert (stored.sender_email, stored.from_contact, stored.in_reply_to) == \
        ("loskova@example.ru", True, ack["Message-ID"])
    assert "база всё так же грузится 4 минуты" in stored.body
    [screen] = db.session.scalars(select(Attachment).where(Attachment.client_message_id == stored.id))
    assert (screen.filename, screen.appeal_id) == ("screen.png", complaint.appeal_id)
    [event] = history_events("client_message_received")
    assert event.data["from"] == "loskova@example.ru" and event.data["attachments"] == ["screen.png"]
    told = db.session.scalars(select(Outbox).where(Outbox.kind == "client_message")).one()
    assert told.recipient == f"user:{complaint.responsible_user.login}" and told.business_key == number
    assert "база всё так же грузится" in told.body and "не контактный адрес" not in told.body


def test_a_reply_with_only_the_number_in_its_subject_joins_its_complaint(
        app: Flask, wired: ProcessEngine, acknowledged: tuple[str, Any], tmp_path: Any) -> None:
    import mailbox

    number, _ack = acknowledged
    box = mailbox.Maildir(str(tmp_path / "smk"), create=True)
    box.add(mailbox.MaildirMessage(reply("11-subject-tag-only.eml", number)))
    result = app.test_cli_runner().invoke(args=["ingest-mail", "--maildir", str(tmp_path / "smk")])
    assert result.exit_code == 0 and f"reply to {number}" in result.output, result.output
    assert count(Appeal) == 1
    stored = db.session.scalars(select(ClientMessage)).one()
    assert stored.subject == f"По претензии [{number}]" and stored.in_reply_to is None and stored.from_contact
    ingested = db.session.scalars(select(IngestedMessage)).one()
    assert (ingested.client_message_id, ingested.appeal_id) == (stored.id, None)
    assert wired.ingest_mail(reply("11-subject-tag-only.eml", number), "smk") is None  # same Message-ID again


def test_a_reply_from_another_address_is_attached_but_marked(wired: ProcessEngine,
                                                             acknowledged: tuple[str, Any]) -> None:
    number, _ack = acknowledged
    wired.ingest_mail(reply("12-from-another-address.eml", number), "smk")
    stored = db.session.scalars(select(ClientMessage)).one()
    assert (stored.sender_email, stored.from_contact) == ("director@romashka.example", False)
    assert count(Appeal) == 1
    told = db.session.scalars(select(Outbox).where(Outbox.kind == "client_message")).one()
    assert "director@romashka.example" in told.body and "не контактный адрес претензии" in told.body


def test_a_reply_to_a_closed_complaint_goes_to_qms(wired: ProcessEngine, acknowledged: tuple[str, Any]) -> None:
    number, _ack = acknowledged
    close_stage1(wired, number)
    wired.ingest_mail(reply("13-to-a-closed-complaint.eml", number), "smk")
    assert (count(Appeal), count(ProcessInstance)) == (1, 1)
    stored = db.session.scalars(select(ClientMessage)).one()
    assert stored.body.startswith("Спасибо, теперь всё работает быстро")
    told = db.session.scalars(select(Outbox).where(Outbox.kind == "client_message")).one()
    assert told.recipient == "group:СМК"


def test_mail_that_answers_nothing_stays_a_new_appeal(wired: ProcessEngine, acknowledged: tuple[str, Any]) -> None:
    result = wired.ingest_mail(reply("14-answers-nothing.eml"), "smk")
    assert isinstance(result, Appeal) and result.contact.email == "petrov@example.ru"
    assert (count(Appeal), count(Complaint), count(ClientMessage)) == (2, 2, 0)


def test_a_number_retyped_with_a_cyrillic_letter_still_finds_its_complaint(
        wired: ProcessEngine, acknowledged: tuple[str, Any]) -> None:
    number, _ack = acknowledged
    retyped = "Р" + number[1:]  # the Cyrillic «Р» that looks like the Latin P
    assert isinstance(wired.ingest_mail(reply("12-from-another-address.eml", retyped), "smk"), ClientMessage)
    assert count(Appeal) == 1
