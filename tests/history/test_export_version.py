"""An export says which sealing its case keys use (version 2: GCM-SIV keys may be in it); exports of the
earlier version still check; the writer refuses a task id the column would not keep as the hash says."""
from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask

from engine import Actor, ProcessEngine
from engine.history import export, verify, writer
from engine.history.verify import MalformedExport
from models import db
from tests.history.helpers import instance_of
from tests.test_ui_pages import signed_in


def test_an_export_is_version_2_and_a_version_1_export_still_checks(app: Flask, engine: ProcessEngine,
                                                                     register: Any) -> None:
    number = register()
    document = signed_in(app, "qms").get(f"/complaints/{number}/history.json").get_json()
    assert document["version"] == export.VERSION == 2
    assert document["instances"][0]["case_key"]  # a GCM-SIV key: what version 1 did not describe
    assert verify.check_export(document).ok
    older = copy.deepcopy(document)
    older["version"] = 1
    assert verify.check_export(older).ok
    for unknown in (3, None, "2"):
        with pytest.raises(MalformedExport):
            verify.check_export({**document, "version": unknown})


@pytest.mark.parametrize("task_id", ["not-a-uuid", "5B46F3FF-9C64-4504-B850-E28E8F8F1DED",
                                     "5b46f3ff9c644504b850e28e8f8f1ded"])
def test_the_writer_refuses_a_task_id_that_is_not_a_canonical_uuid(app: Flask, engine: ProcessEngine,
                                                                    register: Any, task_id: str) -> None:
    instance = instance_of(register())
    with pytest.raises(ValueError, match="canonical UUID"):
        writer.append(db.session, instance, Actor("tester").name, "probe", instance.started_at, {"x": 1},
                      task_id=task_id)
    db.session.rollback()
    assert engine.verify_history().ok
