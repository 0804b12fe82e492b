"""Personal-data fixtures: a test client signed in as QMS."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import ProcessEngine


@pytest.fixture
def qms_client(app: Flask, engine: ProcessEngine) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    answer = client.post("/login", data={"login": "qms", "password": "demo"})
    assert answer.status_code == 302
    return client
