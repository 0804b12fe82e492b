"""What the API does once per process instead of once per request still answers each request on its own."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from engine import ProcessEngine
from models import User, db
from tests.api.test_appeals import GOOD


def test_an_argument_schema_built_once_keeps_nothing_from_an_earlier_request(
        client: FlaskClient, auth: dict[str, str], engine: ProcessEngine) -> None:
    """The argument schemas are built when the routes are declared and reused: the errors of one request
    (nested ones too) never leak into the next, and a later valid request is not refused."""
    bad = client.post("/api/v1/appeals", json={**GOOD, "subject": "", "contact": {"email": "nope"}}, headers=auth)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"subject", "contact.email"}
    good = client.post("/api/v1/appeals", json=GOOD, headers=auth)
    assert good.status_code == 201, good.get_json()
    other = client.post("/api/v1/appeals", json={**GOOD, "channel": "pigeon"}, headers=auth)
    assert other.status_code == 422
    assert set(other.get_json()["errors"]) == {"channel"}
    listed = client.get("/api/v1/tasks?status=weird", headers=auth)
    assert listed.status_code == 422 and set(listed.get_json()["errors"]) == {"status"}
    assert client.get("/api/v1/tasks", headers=auth).status_code == 200
    assert client.get("/api/v1/tasks?status=all", headers=auth).get_json()[0]["status"] == "open"


def _bound_client(engine: ProcessEngine, login: str) -> dict[str, str]:
    _client, secret = engine.create_api_client(f"for-{login}", [], login)
    return {"Authorization": f"Bearer {secret}"}


def test_a_bound_client_s_person_is_read_once_a_request_and_again_on_the_next(
        client: FlaskClient, engine: ProcessEngine) -> None:
    """The person the request authenticated is held for the request, so the engine's own check (who may work
    on the task) finds it instead of reading it again; the next request reads it anew, so a user deactivated
    by another worker (another connection, this engine not told) is refused at once."""
    auth = _bound_client(engine, "qms")
    number = client.post("/api/v1/appeals", json=GOOD, headers=auth).get_json()["complaint_number"]
    [task] = client.get(f"/api/v1/tasks?complaint={number}", headers=auth).get_json()
    qms = db.session.scalar(select(User.id).where(User.login == "qms"))
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        by_id = re.search(r'FROM "?user"?\s+WHERE "?user"?\.id =', statement)
        if by_id and qms in (parameters.values() if isinstance(parameters, dict) else parameters):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"belongs_to_department": True}},
                           headers=auth)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert done.status_code == 200, done.get_json()
    assert len(reads) == 1
    with db.engine.begin() as conn:  # another worker
        conn.execute(update(User).where(User.login == "qms").values(active=False))
    refused = client.get(f"/api/v1/tasks?complaint={number}", headers=auth)
    assert refused.status_code == 403 and refused.get_json()["detail"] == "User qms is not active."
    with db.engine.begin() as conn:
        conn.execute(update(User).where(User.login == "qms").values(active=True, roles=["operator"]))
    refused = client.get(f"/api/v1/tasks?complaint={number}", headers=auth)
    assert refused.status_code == 403 and "has no role" in refused.get_json()["detail"]
