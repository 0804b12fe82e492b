"""Definitions, diagram and incident pages through the test client: who may open them, and both languages."""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, g

from engine import ProcessEngine
from tests.test_ui_pages import signed_in, token
from tests.unchecked import deploy_unchecked


def test_pages_check_roles(app: Flask, engine: ProcessEngine, register: Any) -> None:
    number = register()
    anonymous = app.test_client()
    for url in ("/processes", "/processes/complaint/versions/1", "/incidents", f"/complaints/{number}/diagram"):
        refused = anonymous.get(url)
        assert refused.status_code == 401 and 'name="login"' in refused.get_data(as_text=True)
    responsible = signed_in(app, "responsible")
    assert responsible.get("/processes").status_code == 403
    assert responsible.get("/incidents").status_code == 403
    assert responsible.post("/incidents/1/resolve", data={"comment": "x"}).status_code in (400, 403)
    assert responsible.get(f"/complaints/{number}/diagram").status_code == 200
    for login in ("owner", "admin"):
        allowed = signed_in(app, login)
        assert allowed.get("/processes").status_code == 200 and allowed.get("/incidents").status_code == 200


def test_diagram_page_carries_the_instance_state_for_the_viewer(app: Flask, engine: ProcessEngine,
                                                                register: Any) -> None:
    number = register()
    client = signed_in(app, "executive")
    html = client.get(f"/complaints/{number}/diagram").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', html, re.S)[1])
    assert data["first"] == "stage1_correction.bpmn"
    assert {f["name"]: f["processes"] for f in data["files"]}["stage1_correction.bpmn"] == ["complaint_stage1"]
    accept = next(e for e in data["elements"] if e["id"] == "accept")
    assert accept["state"] == "active" and accept["state_label"] == "в работе"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", accept["due_at"])
    assert client.get("/complaints/P0000000000/diagram").status_code == 404


def test_pages_speak_english_too(app: Flask, engine: ProcessEngine, register: Any) -> None:
    number = register()
    client = signed_in(app, "owner")
    page = client.get("/processes").get_data(as_text=True)
    assert "Хеш содержимого" in page
    client.post("/lang/en", data={"csrf_token": token(page), "next": "/processes"})
    g.pop("_flask_babel", None)  # Flask-Babel caches the locale per app context, which this test keeps open
    assert "Content hash" in client.get("/processes").get_data(as_text=True)
    assert "No incidents" in client.get("/incidents").get_data(as_text=True)
    assert "The complaint on its process diagram" in client.get(f"/complaints/{number}").get_data(as_text=True)
    diagram = client.get(f"/complaints/{number}/diagram").get_data(as_text=True)
    assert '"state_label": "active"' in diagram or '"state_label":"active"' in diagram


def test_a_version_without_layout_is_marked_for_the_viewer(app: Flask, engine: ProcessEngine) -> None:
    from tests.engine.test_diagram import BROKEN

    deploy_unchecked(engine, "probe", BROKEN, "owner", "без разметки")
    html = signed_in(app, "owner").get("/processes/probe/versions/1").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', html, re.S)[1])
    assert [(f["name"], f["laid_out"], f["processes"]) for f in data["files"]] == [("probe.bpmn", False, ["probe"])]
    assert "без разметки" in html and 'data-test="no-layout"' in html


def test_resolving_an_incident_without_a_comment_names_the_problem_in_the_page_language(
        app: Flask, engine: ProcessEngine) -> None:
    from models import Incident, db

    incident = Incident(kind="script", element_id="accept", message="boom", actor="system")
    db.session.add(incident)
    db.session.commit()
    client = signed_in(app, "qms")
    page = client.get("/incidents").get_data(as_text=True)
    refused = client.post(f"/incidents/{incident.id}/resolve", data={"comment": " ", "csrf_token": token(page)})
    assert refused.status_code == 422 and "Напишите комментарий." in refused.get_data(as_text=True)
    db.session.refresh(incident)
    assert incident.resolved_at is None
