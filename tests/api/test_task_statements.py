"""What the task endpoints cost in SQL statements besides their use case (deterministic, unlike time): a list
of any length, one task, and the answer to a claim or a completion each take one statement, with the
assignee's login and the form's definition version read in it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from engine import ProcessEngine
from models import db
from tests.api.test_registration_statements import Statements
from tests.api.test_tasks import complete, new_complaint, open_task


@contextmanager
def counted(engine: ProcessEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    """Statements of a request, the use cases it calls (completing, claiming, assigning) left out."""
    statements = Statements()
    for name in ("complete_task", "claim", "assign"):
        use_case = getattr(engine, name)

        def uncounted(*args: Any, _use_case: Any = use_case, **kwargs: Any) -> Any:
            statements.paused = True
            try:
                return _use_case(*args, **kwargs)
            finally:
                statements.paused = False

        monkeypatch.setattr(engine, name, uncounted)
    event.listen(db.engine, "before_cursor_execute", statements.seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", statements.seen)


def test_a_task_list_is_one_statement_whatever_its_length(client: FlaskClient, auth: dict[str, str],
                                                          engine: ProcessEngine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = [new_complaint(client, auth), new_complaint(client, auth, department="СМК"), new_complaint(client, auth)]
    with counted(engine, monkeypatch) as listing:
        listed = client.get("/api/v1/tasks", headers=auth).get_json()
    assert listing.count == 1
    assert sorted(t["complaint"] for t in listed) == sorted(numbers)
    assert sorted(t["assignee"] for t in listed) == ["qms", "responsible", "responsible"]
    assert all(t["form"]["properties"]["belongs_to_department"] for t in listed)
    with counted(engine, monkeypatch) as mine:
        assert len(client.get("/api/v1/tasks?assignee=qms", headers=auth).get_json()) == 1
    assert mine.count == 1
    # Each set of filters is its own statement, built once: none leaks into the next list.
    assert [t["complaint"] for t in client.get(f"/api/v1/tasks?department=СМК&status=all&complaint={numbers[1]}",
                                               headers=auth).get_json()] == [numbers[1]]
    assert client.get(f"/api/v1/tasks?department=ДКС&complaint={numbers[1]}", headers=auth).get_json() == []
    assert client.get("/api/v1/tasks?status=completed", headers=auth).get_json() == []
    assert len(client.get("/api/v1/tasks?status=all", headers=auth).get_json()) == 3


def test_a_task_and_the_answer_to_its_completion_are_one_statement_each(
        client: FlaskClient, auth: dict[str, str], engine: ProcessEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    task = open_task(client, auth, new_complaint(client, auth))
    with counted(engine, monkeypatch) as one:
        shown = client.get(f"/api/v1/tasks/{task['id']}", headers=auth).get_json()
    assert one.count == 1 and shown == task
    with counted(engine, monkeypatch) as claim:
        claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", json={"user": "responsible"}, headers=auth)
    assert claim.count == 1 and claimed.status_code == 200, claimed.get_json()
    with counted(engine, monkeypatch) as completion:
        answer = complete(client, auth, task["id"], {"belongs_to_department": True})
    assert completion.count == 1
    done = answer.get_json()
    assert answer.status_code == 200, done
    assert (done["status"], done["completed_by"], done["form"]) == ("completed", "api:test-channel", task["form"])
    assert done["completed_at"] is not None
