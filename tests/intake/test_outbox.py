"""Outbox delivery against a real SMTP server and a local Telegram stub on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.notify.notifications import Delivery
from engine.notify.transports import SmtpTransport, TelegramTransport
from models import Outbox, User, db
from tests.conftest import complaint_input


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class TelegramStub(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    failures = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        TelegramStub.calls.append({"path": self.path, **body})
        if TelegramStub.failures > 0:
            TelegramStub.failures -= 1
            self.send_response(502)
            self.end_headers()
            self.wfile.write(b"bad gateway")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true, "result": {}}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def telegram() -> Iterator[str]:
    TelegramStub.calls, TelegramStub.failures = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), TelegramStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def wired(engine: ProcessEngine, smtp: tuple[Inbox, int], telegram: str) -> ProcessEngine:
    engine.delivery = Delivery(smtp=SmtpTransport("127.0.0.1", smtp[1], "complaints@company.example"),
                               telegram=TelegramTransport(telegram, "TEST-TOKEN"),
                               group_emails={"СМК": "smk@company.example", "ceo": "ceo@company.example"})
    return engine


def test_the_client_gets_the_acknowledgement_once(wired: ProcessEngine, smtp: tuple[Inbox, int]) -> None:
    with time_machine.travel(dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC), tick=False):
        _appeal, complaint = wired.register_appeal(complaint_input(contact_email="client@example.ru"),
                                                   Actor("operator"))
        assert wired.deliver_outbox() == {"sent": 1, "retry": 0, "failed": 0}
        assert wired.deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0}
    [(to, message)] = smtp[0].messages
    assert to == ["client@example.ru"] and complaint.number in message["Subject"] + message.get_content()
    assert "до 27.11.2025" in message.get_content()
    row = db.session.scalars(select(Outbox)).one()
    assert message["Message-ID"] == row.message_id and message["Subject"].startswith(f"[{complaint.number}] ")
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1


def test_deadline_breach_goes_to_telegram_email_and_qms(wired: ProcessEngine, smtp: tuple[Inbox, int]) -> None:
    responsible = db.session.scalars(select(User).where(User.login == "responsible")).one()
    responsible.telegram_chat_id = "4242"
    db.session.commit()
    with time_machine.travel(dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC), tick=False) as clock:
        wired.register_appeal(complaint_input(), Actor("operator"))
        clock.move_to(dt.datetime(2025, 11, 24, 12, 0, tzinfo=dt.UTC))
        wired.fire_due_timers()
        counts = wired.deliver_outbox()
    assert counts["sent"] >= 2
    to_responsible = [c for c in TelegramStub.calls if c["chat_id"] == "4242"]
    assert to_responsible and to_responsible[0]["path"] == "/botTEST-TOKEN/sendMessage"
    assert any("Просрочен шаг 1.1" in c["text"] for c in to_responsible)
    assert any(to == ["smk@company.example"] and "Просрочен шаг 1.1" in m["Subject"] for to, m in smtp[0].messages)
    head = db.session.scalars(select(Outbox).where(Outbox.recipient == "head:ДКС")).one()
    assert head.status == "sent", head.last_error
    assert any(to == ["dks-head@company.example"] and "Просрочен шаг 1.1" in m["Subject"]
               for to, m in smtp[0].messages)


def test_a_failed_send_is_retried_with_backoff_then_sent(wired: ProcessEngine) -> None:
    responsible = db.session.scalars(select(User).where(User.login == "responsible")).one()
    responsible.telegram_chat_id = "7"
    db.session.commit()
    TelegramStub.failures = 2
    start = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        from engine.notify import notifications

        notifications.enqueue(db.session, "calendar_provisional", "user:responsible", "probe", {"year": 2030}, start)
        db.session.commit()
        assert wired.deliver_outbox()["retry"] == 1
        row = db.session.scalars(select(Outbox)).one()
        assert row.next_attempt_at == start + dt.timedelta(seconds=30) and "502" in row.last_error
        assert wired.deliver_outbox()["retry"] == 0
        clock.move_to(start + dt.timedelta(seconds=31))
        assert wired.deliver_outbox()["retry"] == 1
        db.session.expire_all()
        assert row.next_attempt_at == start + dt.timedelta(seconds=31 + 60)
        clock.move_to(start + dt.timedelta(seconds=95))
        assert wired.deliver_outbox()["sent"] == 1
    db.session.expire_all()
    assert (row.status, row.attempts) == ("sent", 3) and len(TelegramStub.calls) == 3


def test_a_refused_address_fails_at_once_with_the_reason(wired: ProcessEngine, smtp: tuple[Inbox, int]) -> None:
    smtp[0].refuse.add("nobody@example.ru")
    wired.register_appeal(complaint_input(contact_email="nobody@example.ru"), Actor("operator"))
    assert wired.deliver_outbox()["failed"] == 1
    row = db.session.scalars(select(Outbox)).one()
    assert row.status == "failed" and "refused" in row.last_error and smtp[0].messages == []


def _one_queued(start: dt.datetime) -> None:
    from engine.notify import notifications

    notifications.enqueue(db.session, "calendar_provisional", "group:СМК", "probe", {"year": 2030}, start)
    db.session.commit()


def test_a_row_claimed_by_a_sender_that_died_is_sent_once_after_the_lease(
        wired: ProcessEngine, smtp: tuple[Inbox, int]) -> None:
    from engine.notify import notifications

    start = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)
    _one_queued(start)
    notifications.claim_batch(db.session, start)  # the sender dies right after its claim is committed
    db.session.commit()
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert wired.deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0}  # still its lease
    with time_machine.travel(start + notifications.LEASE + dt.timedelta(seconds=1), tick=False):
        assert wired.deliver_outbox()["sent"] == 1
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        assert wired.deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0}
    row = db.session.scalars(select(Outbox)).one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert [rcpt for rcpt, _message in smtp[0].messages] == [["smk@company.example"]]


def test_a_slow_sender_whose_lease_ran_out_leaves_the_row_to_the_new_claim(
        wired: ProcessEngine, smtp: tuple[Inbox, int]) -> None:
    from engine.notify import notifications

    start = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)
    _one_queued(start)
    [slow] = [(row.id, row.attempts) for row in notifications.claim_batch(db.session, start)]
    db.session.commit()
    later = start + notifications.LEASE + dt.timedelta(seconds=1)
    [fresh] = [(row.id, row.attempts) for row in notifications.claim_batch(db.session, later)]
    db.session.commit()
    assert notifications.start_sending(db.session, *slow, later, "test.local") is False
    assert notifications.start_sending(db.session, *fresh, later, "test.local") is True
    db.session.commit()
    assert db.session.scalars(select(Outbox.status)).one() == "sending" and smtp[0].messages == []


def test_only_a_send_cut_off_midway_is_left_as_outcome_unknown(wired: ProcessEngine,
                                                               smtp: tuple[Inbox, int]) -> None:
    from engine.notify import notifications

    start = dt.datetime(2025, 11, 24, 10, 0, tzinfo=dt.UTC)
    _one_queued(start)
    [(row_id, token)] = [(row.id, row.attempts) for row in notifications.claim_batch(db.session, start)]
    db.session.commit()
    assert notifications.start_sending(db.session, row_id, token, start, "test.local")  # then the sender dies mid-send
    db.session.commit()
    with time_machine.travel(start + dt.timedelta(minutes=9), tick=False):
        assert wired.deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0}
    assert db.session.scalars(select(Outbox.status)).one() == "sending"
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        wired.deliver_outbox()
    db.session.expire_all()
    row = db.session.scalars(select(Outbox)).one()
    assert row.status == "failed" and "outcome unknown" in row.last_error and smtp[0].messages == []


def test_qms_edits_a_template_and_bad_ones_are_refused(client: Any, auth: dict[str, str], wired: ProcessEngine,
                                                       smtp: tuple[Inbox, int]) -> None:
    changed = client.put("/api/v1/templates/ack_client", headers=auth, json={
        "subject": "Обращение {{ number }} принято", "body": "Ответим до {{ answer_by }}. СМК"})
    assert changed.status_code == 200
    bad = client.put("/api/v1/templates/ack_client", headers=auth, json={"subject": "{{ number", "body": "x"})
    assert bad.status_code == 422 and "subject" in bad.get_json()["errors"]
    wired.register_appeal(complaint_input(contact_email="client@example.ru"), Actor("operator"))
    wired.deliver_outbox()
    [(_to, message)] = smtp[0].messages
    assert message["Subject"].endswith("принято") and message.get_content().strip().endswith("СМК")
    listed = client.get("/api/v1/outbox?status=sent", headers=auth).get_json()
    assert [r["kind"] for r in listed] == ["ack_client"]


def test_without_any_transport_notifications_wait(engine: ProcessEngine) -> None:
    engine.delivery = Delivery()
    engine.register_appeal(complaint_input(contact_email="client@example.ru"), Actor("operator"))
    assert engine.deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0}
    row = db.session.scalars(select(Outbox)).one()
    assert (row.status, row.attempts) == ("pending", 0)


def test_a_template_is_compiled_once_and_again_when_qms_changes_it(client: Any, auth: dict[str, str],
                                                                    engine: ProcessEngine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.notify import notifications

    compiled: list[str] = []
    compile_text = notifications._JINJA.from_string
    monkeypatch.setattr(notifications._JINJA, "from_string", lambda text: compiled.append(text) or compile_text(text))
    notifications._compiled.cache_clear()
    for subject in ("Первое", "Второе"):
        engine.register_appeal(complaint_input(subject=subject, contact_email="client@example.ru"), Actor("operator"))
    assert len(compiled) == 2  # the subject and the body of the acknowledgement, for both appeals
    changed = client.put("/api/v1/templates/ack_client", headers=auth, json={
        "subject": "Обращение {{ number }} принято", "body": "Ответим до {{ answer_by }}. СМК"})
    assert changed.status_code == 200
    engine.register_appeal(complaint_input(subject="Третье", contact_email="client@example.ru"), Actor("operator"))
    last = db.session.scalars(select(Outbox).order_by(Outbox.id.desc())).first()
    assert last is not None and last.subject.endswith("принято") and last.body.endswith("СМК")
