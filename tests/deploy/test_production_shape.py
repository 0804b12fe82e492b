"""The production shape, started for real: gunicorn with several workers and two `complaint-desk scheduler`
processes on the test database, driven by concurrent intake (the API and the site form) and concurrent task
completions while the schedulers fire a backlog of timers and send the outbox to a real SMTP server.
Afterwards the rows are counted: nothing lost, nothing doubled, no server error anywhere."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import func, select

from engine import Actor, ProcessEngine
from models import (
    Appeal,
    Complaint,
    Consent,
    Incident,
    InstanceEvent,
    Outbox,
    ProcessInstance,
    Task,
    Timer,
    db,
)
from tests.api.test_appeals import GOOD
from tests.conftest import complaint_input, history_events
from tests.deploy.processes import BIN, environment, free_port, start, stop, wait_for
from tests.engine.test_paths import ACCEPT
from tests.intake.test_outbox import Inbox
from tests.intake.test_public import FORM

WORKERS, SCHEDULERS = 3, 2
BACKLOG = 6  # complaints whose timers fell due while nothing ran, and whose step 1.1 is completed in the run
API_CLIENTS, API_EACH = 3, 4
FORM_CLIENTS, FORM_EACH = 2, 3
RACERS = 2  # completions of the same task sent at once: exactly one wins


class Http:
    """One keep-alive connection to the server, the way a browser or an integration talks to it."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def __call__(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body, headers or {})
        answer = self.connection.getresponse()
        return answer.status, answer.read()


def _fresh(statement: Any) -> Any:
    db.session.rollback()  # see what the server processes committed
    return db.session.execute(statement)


def _count(model: Any, *where: Any) -> int:
    return _fresh(select(func.count()).select_from(model).where(*where)).scalar()


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_gunicorn_workers_and_schedulers_lose_and_double_nothing(app: Flask, engine: ProcessEngine,
                                                                 database_url: str, tmp_path: Path,
                                                                 smtp: tuple[Inbox, int]) -> None:
    inbox, smtp_port = smtp
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=21), tick=False):
        backlog = [engine.register_appeal(complaint_input(subject=f"Старая жалоба {i}"), Actor("operator"))[1].number
                   for i in range(BACKLOG)]
    _client, token = engine.create_api_client("site-integration", [], None)
    db.session.commit()
    due = [t for t, in _fresh(select(Timer.id).where(Timer.status == "pending",
                                                     Timer.due_at < dt.datetime.now(dt.UTC)))]
    first_tasks = dict(_fresh(select(Task.business_key, Task.id).where(Task.status == "open")).all())
    assert sorted(first_tasks) == sorted(backlog) and len(due) >= BACKLOG

    port = free_port()
    env = environment(database_url, tmp_path, smtp_port, FEEDBACK_RATE_LIMIT="1000")
    logs = (tmp_path / "gunicorn.log", *(tmp_path / f"scheduler-{i}.log" for i in range(SCHEDULERS)))
    web = start([str(BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
                 "web.app:create_app()"], env, logs[0])
    schedulers = [start([str(BIN / "complaint-desk"), "scheduler"], env, log) for log in logs[1:]]
    try:
        wait_for(lambda: len(_children(web.pid)) == WORKERS and "Booting worker" in logs[0].read_text(),
                 "gunicorn's workers start", logs=logs)
        for log in logs[1:]:
            wait_for(lambda log=log: "timer scheduler running" in log.read_text(), "a scheduler starts", logs=logs)
        api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        answers: list[tuple[str, int, bytes]] = []
        record = threading.Lock()
        go = threading.Barrier(API_CLIENTS + FORM_CLIENTS + RACERS)

        def appeals_by_api(n: int) -> None:
            http = Http(port)
            go.wait()
            for i in range(API_EACH):
                body = {**GOOD, "subject": f"API {n}-{i}", "received_at": None,
                        "contact": {**GOOD["contact"], "email": f"api-{n}-{i}@example.ru"}}
                body.pop("received_at")
                status, payload = http("POST", "/api/v1/appeals", json.dumps(body).encode(), api)
                with record:
                    answers.append(("api", status, payload))

        def appeals_by_form(n: int) -> None:
            http = Http(port)
            go.wait()
            for i in range(FORM_EACH):
                form = {**FORM, "message": f"Форма {n}-{i}", "email": f"form-{n}-{i}@example.ru"}
                status, payload = http("POST", "/feedback", urllib.parse.urlencode(form).encode(),
                                       {"Content-Type": "application/x-www-form-urlencoded"})
                with record:
                    answers.append(("form", status, payload))

        def completions(_n: int) -> None:
            http = Http(port)
            go.wait()
            for key in backlog:  # every racer completes the same tasks in the same order, at the same time
                status, payload = http("POST", f"/api/v1/tasks/{first_tasks[key]}/complete",
                                       json.dumps({"data": ACCEPT}).encode(), api)
                with record:
                    answers.append(("complete", status, payload))

        threads = [threading.Thread(target=appeals_by_api, args=(n,)) for n in range(API_CLIENTS)] + \
            [threading.Thread(target=appeals_by_form, args=(n,)) for n in range(FORM_CLIENTS)] + \
            [threading.Thread(target=completions, args=(n,)) for n in range(RACERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The schedulers keep working on: the backlog's timers and every notification.
        wait_for(lambda: _count(Timer, Timer.id.in_(due), Timer.status == "pending") == 0
                 and _count(Outbox, Outbox.status != "sent") == 0
                 and len(inbox.messages) >= _count(Outbox), "the timers fire and the outbox is sent",
                 seconds=60, logs=logs)
        assert len(_children(web.pid)) == WORKERS and all(s.poll() is None for s in schedulers)
    finally:
        for process in [web, *schedulers]:
            stop(process)
    server_log = "\n".join(log.read_text(errors="replace") for log in logs)
    assert "Traceback" not in server_log and '" 500 ' not in server_log

    # Intake: every request answered as it should, every appeal stored once with its complaint and process.
    by_kind = Counter((kind, status) for kind, status, _payload in answers)
    assert by_kind[("api", 201)] == API_CLIENTS * API_EACH and by_kind[("form", 200)] == FORM_CLIENTS * FORM_EACH
    api_numbers = [json.loads(p)["complaint_number"] for kind, _s, p in answers if kind == "api"]
    form_pages = [p.decode() for kind, _s, p in answers if kind == "form"]
    new = API_CLIENTS * API_EACH + FORM_CLIENTS * FORM_EACH
    assert _count(Appeal) == _count(Complaint) == BACKLOG + new
    assert all(_count(Appeal, Appeal.subject == f"API {n}-{i}") == 1
               for n in range(API_CLIENTS) for i in range(API_EACH))
    assert all(_count(Appeal, Appeal.text == f"Форма {n}-{i}") == 1
               for n in range(FORM_CLIENTS) for i in range(FORM_EACH))
    assert all(number in page for number in _fresh(select(Appeal.number).where(Appeal.channel == "site_form"))
               .scalars() for page in [" ".join(form_pages)])
    assert _count(Consent) == 2 * FORM_CLIENTS * FORM_EACH
    keys = Counter(_fresh(select(ProcessInstance.business_key)).scalars())
    assert set(keys.values()) == {1} and sorted(keys) == sorted(_fresh(select(Complaint.number)).scalars())
    assert set(api_numbers) <= set(keys) and len(set(api_numbers)) == len(api_numbers)
    assert _count(Incident) == 0

    # Completions: each raced task completed once (the other racer got 409), the next step opened once.
    completed = Counter(status for kind, status, _p in answers if kind == "complete")
    assert completed == {200: BACKLOG, 409: BACKLOG * (RACERS - 1)}
    events = Counter(_fresh(select(InstanceEvent.task_id).where(InstanceEvent.kind == "task_completed")).scalars())
    assert {events[task] for task in first_tasks.values()} == {1}
    open_steps = Counter(_fresh(select(Task.business_key, Task.step).where(Task.status == "open")).all())
    assert set(open_steps.values()) == {1}
    assert {step for key, step in open_steps if key in backlog} == {"1.2"}

    # Timers: every backlog timer fired once; outbox: every row sent once to the SMTP server.
    assert _count(Timer, Timer.id.in_(due), Timer.status == "fired") == len(due)  # a cancelled one has no row
    db.session.rollback()  # see what the server processes committed
    fired = Counter((e.instance_id, e.data["timer"], e.data["due_at"]) for e in history_events()
                    if e.kind.startswith("timer_"))
    assert len(fired) >= len(due) and set(fired.values()) == {1}
    rows = list(_fresh(select(Outbox)).scalars())
    assert {r.kind for r in rows} >= {"ack_client", "site_complaint", "deadline_breach"}
    assert Counter(m["Message-ID"] for _rcpt, m in inbox.messages) == Counter({r.message_id: 1 for r in rows})
