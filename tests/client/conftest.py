"""Client-side fixtures: a real SMTP server on 127.0.0.1 and an engine that delivers to it."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from engine import ProcessEngine
from engine.notify.notifications import Delivery
from engine.notify.transports import SmtpTransport
from tests.intake.test_outbox import Inbox


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


@pytest.fixture
def wired(engine: ProcessEngine, smtp: tuple[Inbox, int]) -> ProcessEngine:
    engine.delivery = Delivery(smtp=SmtpTransport("127.0.0.1", smtp[1], "complaints@company.example"),
                               group_emails={"СМК": "smk@company.example"}, message_domain="company.example")
    return engine
