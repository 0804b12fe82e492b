"""What the API does once per process instead of once per request still answers each request on its own."""
from __future__ import annotations

from flask.testing import FlaskClient

from engine import ProcessEngine
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
