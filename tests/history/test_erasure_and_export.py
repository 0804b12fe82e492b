"""Shredding a case key keeps every chain verifiable and shows the events as erased; an auditor's export
verifies offline, and a changed export is caught."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from engine.history import vault
from models import InstanceEvent, db
from tests.conftest import history_events
from tests.history.helpers import BOTH_STAGES, instance_of, walk
from tests.test_ui_pages import signed_in

SAID = {"client_reached": True, "contact_summary": "Галина Николаевна просит перезвонить на 8-951-511-35-23"}


@pytest.fixture
def walked(engine: ProcessEngine, register: Any) -> str:
    number = register()
    walk(engine, number, [BOTH_STAGES[0], ("first_contact", SAID), *BOTH_STAGES[2:]])
    return number


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["verify-history", *args])


def test_shredding_keeps_the_chain_and_shows_the_events_as_erased(app: Flask, engine: ProcessEngine,
                                                                   walked: str, register: Any) -> None:
    other = register(subject="Чужая претензия")
    instance = instance_of(walked)
    events_before = len(history_events(instance_id=instance.id))
    assert vault.shred(db.session, [instance.id], "subject request 17") == 1
    db.session.commit()
    assert vault.shred(db.session, [instance.id], "again") == 0  # already shredded: nothing more to do
    db.session.commit()

    instance = instance_of(walked)
    assert instance.history_key is None and instance.history_erased_reason == "subject request 17"
    events = history_events(instance_id=instance.id)
    assert len(events) == events_before + 1 and events[-1].kind == "history_erased"
    assert all(e.erased and e.data is None for e in events)
    assert not any(e.erased for e in history_events(instance_id=instance_of(other).id))
    # The sealed values are still there, hashed, and unreadable.
    assert db.session.scalar(select(InstanceEvent.sealed).where(InstanceEvent.instance_id == instance.id,
                                                                InstanceEvent.bpmn_id == "first_contact",
                                                                InstanceEvent.kind == "task_completed"))
    report = engine.verify_history()
    assert report.ok and (report.instances, report.erased) == (2, 1)
    assert _cli(app).exit_code == 0

    card = signed_in(app, "qms").get(f"/complaints/{walked}").get_data(as_text=True)
    assert card.count('data-test="erased"') >= events_before - 2
    assert "перезвонить" not in card and "Персональные данные удалены" in card
    api = app.test_client()
    token = engine.create_api_client("audit", ["complaints:read"], None)[1]
    body = api.get(f"/api/v1/complaints/{walked}/history", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["events"] and all(e["erased"] and e["data"] is None for e in body["events"])
    diagram = engine.instance_on_diagram(walked)
    assert all(e["data"] is None for e in diagram["elements"])


def _export(app: Flask, number: str, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    answer = signed_in(app, "qms").get(f"/complaints/{number}/history.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert "attachment" in answer.headers["Content-Disposition"]
    document = json.loads(answer.get_data(as_text=True))
    file = tmp_path / "export.json"
    file.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return document, file


def _tampered(tmp_path: Path, document: dict[str, Any], change: Any) -> Path:
    copy = json.loads(json.dumps(document))
    change(copy["instances"][0])
    file = tmp_path / "tampered.json"
    file.write_text(json.dumps(copy, ensure_ascii=False), "utf-8")
    return file


def test_an_export_verifies_offline_and_a_changed_one_is_caught(app: Flask, walked: str, tmp_path: Path) -> None:
    document, file = _export(app, walked, tmp_path)
    [part] = document["instances"]
    contact = next(e for e in part["events"] if e["bpmn_id"] == "first_contact" and e["kind"] == "task_completed")
    assert contact["data"]["form"] == SAID and contact["sealed"] and len(contact["hash"]) == 64
    assert part["head"] == {"seq": len(part["events"]), "hash": part["events"][-1]["hash"]}
    done = _cli(app, "--file", str(file))
    assert done.exit_code == 0 and f"OK: 1 instances, {len(part['events'])} events" in done.output

    seq = contact["seq"]

    def readable_data(p: dict[str, Any]) -> None:
        p["events"][seq - 1]["data"]["form"]["contact_summary"] = "Клиент не звонил"

    def actor(p: dict[str, Any]) -> None:
        p["events"][seq - 1]["actor"] = "someone else"

    def dropped(p: dict[str, Any]) -> None:
        del p["events"][seq - 1]

    def cut_end(p: dict[str, Any]) -> None:
        del p["events"][-1]

    last = len(part["events"])
    for change, where, problem in ((readable_data, seq, "data_mismatch"), (actor, seq, "hash_mismatch"),
                                   (dropped, seq + 1, "missing_events"), (cut_end, last - 1, "head_mismatch")):
        caught = _cli(app, "--file", str(_tampered(tmp_path, document, change)))
        assert caught.exit_code == 1, change.__name__
        assert f"seq {where}," in caught.output and problem in caught.output, (change.__name__, caught.output)


def test_an_erased_case_exports_without_its_data_and_still_verifies(app: Flask, walked: str, tmp_path: Path) -> None:
    vault.shred(db.session, [instance_of(walked).id], "retention")
    db.session.commit()
    document, file = _export(app, walked, tmp_path)
    [part] = document["instances"]
    assert part["case_key"] is None and part["erased_reason"] == "retention"
    assert all(e["data"] is None and e["erased"] for e in part["events"])
    assert "перезвонить" not in file.read_text("utf-8")
    assert _cli(app, "--file", str(file)).exit_code == 0
    shown = _tampered(tmp_path, document, lambda p: p["events"][2].update(data={"form": {"x": 1}}))
    assert "data_mismatch" in _cli(app, "--file", str(shown)).output


def test_a_file_that_is_not_an_export_is_refused(app: Flask, tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "something else"}', "utf-8")
    refused = _cli(app, "--file", str(junk))
    assert refused.exit_code != 0 and "not a history export" in refused.output
    junk.write_text("not json", "utf-8")
    assert "is not a JSON file" in _cli(app, "--file", str(junk)).output


def test_the_audit_page_shows_the_chain_and_names_a_break(app: Flask, walked: str) -> None:
    from tests.history.helpers import behind_the_guard

    qms = signed_in(app, "qms")
    page = qms.get(f"/complaints/{walked}/history").get_data(as_text=True)
    rows = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance_of(walked).id)
                                   .order_by(InstanceEvent.seq)))
    assert 'data-test="chain-ok"' in page and f'data-seq="{rows[-1].seq}"' in page
    assert rows[-1].hash.hex()[:16] in page and "перезвонить" in page
    assert f"№{rows[-1].seq}, SHA-256 <code>{rows[-1].hash.hex()}</code>" in page  # the head to keep elsewhere
    assert f'href="/complaints/{walked}/history.json"' in page
    behind_the_guard("UPDATE instance_event SET kind = 'task_claimed' WHERE id = :id", id=rows[2].id)
    page = qms.get(f"/complaints/{walked}/history").get_data(as_text=True)
    assert 'data-test="chain-broken"' in page and "№3" in page and "хеш не совпадает" in page
    card = qms.get(f"/complaints/{walked}").get_data(as_text=True)
    assert f'href="/complaints/{walked}/history"' in card
