"""What a registration through POST /api/v1/appeals costs in SQL statements (deterministic, unlike time),
and how long a worker keeps trusting an API token it has read."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from engine import ProcessEngine
from models import ApiClient, db
from tests.api.test_appeals import post


class Statements:
    """Counts the statements sent to the database, except while `paused`."""

    def __init__(self) -> None:
        self.count, self.paused = 0, False

    def seen(self, *_args: Any) -> None:
        if not self.paused:
            self.count += 1


@contextmanager
def counted(engine: ProcessEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    """Statements of the intake's own part: the process start (`Runtime.start_in`) is not counted."""
    statements = Statements()
    start_in = engine.runtime.start_in

    def uncounted_start(s: Session, *args: Any, **kwargs: Any) -> Any:
        statements.paused = True
        try:
            instance = start_in(s, *args, **kwargs)
            s.flush()  # what the start left pending (instance state, task due dates) is its own, too
            return instance
        finally:
            statements.paused = False

    monkeypatch.setattr(engine.runtime, "start_in", uncounted_start)
    # The calendars are checked against the database every few seconds, whatever the use case: read them
    # now and not again, so a slow machine does not add that check to a registration.
    monkeypatch.setattr(engine.calendars, "RECHECK_SECONDS", 3600.0)
    engine.calendars.company()
    event.listen(db.engine, "before_cursor_execute", statements.seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", statements.seen)


# No e-mail: the acknowledgement to the client goes through the outbox, a cost of its own (3 statements).
CALLER = {"name": "Лоськова Галина Николаевна", "phone": "(951) 5113523"}


def test_registration_reads_and_writes_each_row_once(client: FlaskClient, auth: dict[str, str],
                                                     engine: ProcessEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    with counted(engine, monkeypatch) as first:
        assert post(client, auth, contact=CALLER).status_code == 201
    # A new counterparty and contact, in a fresh worker: the token, the department with its responsibles,
    # the counterparty with its contact, INSERT counterparty and contact, the two ids, INSERT appeal and
    # complaint, the latest process definition and (once per worker) its row, the counterparty's previous
    # appeals. The planned deadlines are written by the process start, with the rows its first save writes.
    assert first.count == 11
    with counted(engine, monkeypatch) as again:
        assert post(client, auth, contact=CALLER, subject="Снова долго").status_code == 201
    # The usual case: a known counterparty and contact, a token and a definition this worker holds.
    assert again.count == 7


def test_a_token_revoked_elsewhere_stops_working_within_the_token_seconds(
        client: FlaskClient, engine: ProcessEngine) -> None:
    clock = [100.0]
    engine.api_tokens.clock = lambda: clock[0]
    _client, token = engine.create_api_client("site", ["appeals:write"], None)
    auth = {"Authorization": f"Bearer {token}"}
    assert post(client, auth).status_code == 201
    # Another worker (or the CLI) revokes it: the row changes, this engine is not told.
    db.session.execute(update(ApiClient).where(ApiClient.name == "site").values(revoked_at=dt.datetime.now(dt.UTC)))
    db.session.commit()
    clock[0] += engine.settings.api_token_seconds - 0.5
    assert post(client, auth, subject="Ещё одна").status_code == 201
    clock[0] += 0.5
    refused = post(client, auth, subject="И ещё")
    assert refused.status_code == 401 and refused.get_json()["detail"] == "Unknown or revoked API token."
    clock[0] += 100
    assert post(client, auth, subject="Снова").status_code == 401  # a refused token is never kept
