"""Replay and migration pages through the test client: the owner's tables, the draft seam, bad input kept."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import ProcessInstance, db
from tests.engine.test_replay import UNREACHABLE, close, edited
from tests.test_ui_pages import signed_in, token


def rows(html: str, attr: str) -> dict[str, str]:
    return dict(re.findall(rf'<tr data-number="([^"]+)"[^>]* data-{attr}="([^"]+)"', html))


def test_replay_page_shows_each_closed_complaint_with_its_outcome(app: Flask, engine: ProcessEngine,
                                                                  register: Any) -> None:
    number = close(engine, register, UNREACHABLE)
    engine.deploy("complaint", edited("contact_attempts &gt;= max_contact_attempts", "contact_attempts &gt;= 2"),
                  Actor("owner"), "Две попытки")
    owner = signed_in(app, "owner")
    assert "/processes/complaint/replay" in owner.get("/processes").get_data(as_text=True)
    page = owner.get("/processes/complaint/replay?version=2&limit=10")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and rows(html, "outcome") == {number: "different"}
    assert "<code>first_contact</code>" in html and "<code>handover</code>" in html
    assert rows(owner.get("/processes/complaint/replay?version=1").get_data(as_text=True), "outcome") == {
        number: "same"}
    assert 'data-test="replay-draft"' not in html  # no draft saved: only deployed versions
    assert signed_in(app, "qms").get("/processes/complaint/replay?version=1").status_code == 403


def test_replay_page_keeps_bad_input_with_the_message_under_its_field(app: Flask, engine: ProcessEngine) -> None:
    owner = signed_in(app, "owner")
    page = owner.get("/processes/complaint/replay?version=1&limit=abc")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'value="abc"' in html and "Введите целое число." in html
    missing = owner.get("/processes/complaint/replay?version=9")
    assert missing.status_code == 422 and "Такой версии нет." in missing.get_data(as_text=True)
    assert owner.get("/processes/nothing/replay").status_code == 404


def test_replay_page_runs_the_draft_the_modeler_saved(app: Flask, engine: ProcessEngine, register: Any) -> None:
    number = close(engine, register, UNREACHABLE)
    owner = signed_in(app, "owner")
    no_draft = owner.get("/processes/complaint/replay?draft=1")
    assert no_draft.status_code == 422 and "Черновика этого процесса нет." in no_draft.get_data(as_text=True)
    draft = edited("contact_attempts &gt;= max_contact_attempts", "contact_attempts &gt;= 2")
    engine.save_draft("complaint", draft, "Две попытки", 1, Actor("owner"))
    html = owner.get("/processes/complaint/replay?draft=1").get_data(as_text=True)
    assert 'data-test="replay-draft"' in html and rows(html, "outcome") == {number: "different"}
    broken = edited('<bpmn:script>stage1_status = "closed"</bpmn:script>', "<bpmn:script>import os</bpmn:script>")
    engine.save_draft("complaint", broken, None, 1, Actor("owner"))
    refused = owner.get("/processes/complaint/replay?draft=1")
    assert refused.status_code == 422 and "<code>s1_closed</code>" in refused.get_data(as_text=True)


def test_migrate_page_previews_then_moves_the_chosen(app: Flask, engine: ProcessEngine, register: Any) -> None:
    first, second = register(), register()
    engine.deploy("complaint", edited('name="Принять претензию в работу"', 'name="Принять претензию"'),
                  Actor("owner"), "Короче")
    owner = signed_in(app, "owner")
    preview = owner.get("/processes/complaint/migrate?from=1&to=2&scope=all")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and rows(html, "can-move") == {first: "true", second: "true"}
    moved = owner.post("/processes/complaint/migrate", data={"csrf_token": token(html), "from": "1", "to": "2",
                                                             "instance": [second]})
    after = moved.get_data(as_text=True)
    assert rows(after, "can-move") == {second: "true"} and rows(after, "moved") == {second: "true"}
    assert "Перенесено экземпляров: 1 из 1." in after
    db.session.expire_all()
    versions = {i.business_key: i.definition.version for i in db.session.scalars(select(ProcessInstance))}
    assert versions == {first: 1, second: 2}


def test_migrate_page_keeps_bad_input_with_the_message(app: Flask, engine: ProcessEngine, register: Any) -> None:
    owner = signed_in(app, "owner")
    same = owner.get("/processes/complaint/migrate?from=1&to=1&scope=list&numbers=P1")
    html = same.get_data(as_text=True)
    assert same.status_code == 422 and "Выберите другую версию, чем исходная." in html and 'value="P1"' in html
    empty = owner.get("/processes/complaint/migrate?from=1&to=1&scope=list&numbers=")
    assert "Перечислите номера претензий или выберите все." in empty.get_data(as_text=True)


def test_replay_and_migration_pages_speak_english(app: Flask, engine: ProcessEngine, register: Any) -> None:
    from flask import g

    number = close(engine, register, UNREACHABLE)
    client = signed_in(app, "owner")
    page = client.get("/processes").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": token(page), "next": "/processes"})
    g.pop("_flask_babel", None)  # Flask-Babel caches the locale per app context, which this test keeps open
    replay = client.get("/processes/complaint/replay?version=1").get_data(as_text=True)
    assert "Replay on closed complaints" in replay and "same path" in replay and number in replay
    migrate = client.get("/processes/complaint/migrate?from=1&to=1&scope=all").get_data(as_text=True)
    assert "Move instances to another version" in migrate and "Choose a version other than the source." in migrate
