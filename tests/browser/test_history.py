"""QMS audits a complaint's history in the browser: the chain page, the export downloaded and verified
offline, and the card after the case's data was erased."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from engine import ProcessEngine
from engine.history import vault
from models import db
from tests.browser.conftest import shot, sign_in
from tests.history.helpers import BOTH_STAGES, instance_of, walk

SAID = {"client_reached": True, "contact_summary": "Галина Николаевна ждёт звонка"}


def test_qms_exports_a_history_that_verifies_and_sees_it_erased(page: Any, live_server: str, app: Flask,
                                                                engine: ProcessEngine, register: Any,
                                                                tmp_path: Path) -> None:
    number = register()
    walk(engine, number, [BOTH_STAGES[0], ("first_contact", SAID), *BOTH_STAGES[2:6]])
    db.session.commit()
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/complaints/{number}")
    page.click("[data-test=history-link]")
    page.wait_for_selector("[data-test=chain-ok]")
    rows = page.locator("[data-test=chain] tbody tr")
    expect(rows).to_have_count(instance_of(number).history_seq)
    assert rows.first.get_attribute("data-seq") == "1" and "Галина Николаевна ждёт звонка" in page.inner_text("main")
    shot(page, "history-chain")
    with page.expect_download() as waiting:
        page.click("[data-test=export]")
    file = tmp_path / "export.json"
    waiting.value.save_as(file)
    document = json.loads(file.read_text("utf-8"))
    assert document["business_key"] == number and document["instances"][0]["head"]["seq"] == rows.count()
    checked = app.test_cli_runner().invoke(args=["verify-history", "--file", str(file)])
    assert checked.exit_code == 0 and f"{rows.count()} events" in checked.output

    vault.shred(db.session, [instance_of(number).id], "retention")
    db.session.commit()
    page.goto(f"{live_server}/complaints/{number}")
    history = page.inner_text("[data-test=history]")
    assert "Галина Николаевна" not in history and "данные удалены" in history
    assert "Персональные данные удалены" in history
    page.click("[data-test=history-link]")
    page.wait_for_selector("[data-test=chain-ok]")
    shot(page, "history-erased")
