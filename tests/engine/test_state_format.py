"""The stored form of an instance's state: the compact form gives back exactly what SpiffWorkflow serialized,
states saved before it (plain zlib JSON) still load, and what the compact form cannot hold stays plain."""
from __future__ import annotations

import copy
import json
import random
import zlib
from typing import Any

from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.bpmn import compact_state
from engine.bpmn.persistence import scrub_task_data, state_from_dict, state_to_dict
from models import ProcessInstance, Task, db
from tests.engine.test_paths import ACCEPT, CLOSE1, CORRECT_NOW, HANDOVER, REACHED, STAGE2_SHORT, WORKS

BOTH_STAGES = [("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW), ("verify", WORKS),
               ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), *STAGE2_SHORT]


def _instance(number: str) -> ProcessInstance:
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()


def _plain(dct: dict[str, Any]) -> bytes:
    """A state as every version before the compact form saved it."""
    return zlib.compress(json.dumps(dct, separators=(",", ":")).encode(), 6)


def _complete(engine: ProcessEngine, number: str, bpmn_id: str, data: dict[str, Any]) -> None:
    [task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
    assert task.bpmn_id == bpmn_id
    engine.complete_task(task.id, data, Actor("tester"))


def test_every_saved_state_is_compact_and_decodes_to_what_spiff_serialized(engine: ProcessEngine, register) -> None:
    number = register()
    seen = []
    for bpmn_id, data in BOTH_STAGES:
        _complete(engine, number, bpmn_id, data)
        instance = _instance(number)
        assert instance.state[:1] == compact_state.MARK
        dct = state_to_dict(instance.state)
        # Encoding the decoded dictionary again gives the same bytes: nothing was lost or added on the way.
        assert compact_state.decode(compact_state.encode(dct)) == dct
        assert len(instance.state) < len(_plain(dct))
        seen.append(len(dct["tasks"]) + sum(len(s["tasks"]) for s in dct["subprocesses"].values()))
    assert _instance(number).status == "completed" and seen == sorted(seen)


def test_a_state_saved_plain_still_loads_and_is_saved_compact_next(engine: ProcessEngine, register) -> None:
    number = register()
    _complete(engine, number, "accept", ACCEPT)
    instance = _instance(number)
    before = state_to_dict(instance.state)
    instance.state = _plain(before)
    db.session.commit()
    db.session.expire_all()
    fresh = ProcessEngine(db.session, engine.settings)  # no cached workflow: the plain state is what loads
    _complete(fresh, number, "first_contact", REACHED)
    after = state_to_dict(_instance(number).state)
    assert _instance(number).state[:1] == compact_state.MARK
    assert set(before["tasks"]) <= set(after["tasks"])
    assert after["subprocesses"].keys() == before["subprocesses"].keys()
    [open_task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
    assert open_task.bpmn_id == "correction"


def test_round_trip_is_exact_on_shapes_spiff_may_write(engine: ProcessEngine, register) -> None:
    number = register()
    _complete(engine, number, "accept", ACCEPT)
    dct = state_to_dict(_instance(number).state)
    odd = copy.deepcopy(dct)
    sub = next(iter(odd["subprocesses"].values()))
    first, second, *_ = sub["tasks"].values()
    second["parent"] = None  # a parent that its parent's children do not give
    first["triggered"], first["internal_data"] = True, {"x": [1, 2.5, None]}
    first["unknown_field"] = {"kept": "as is"}
    del odd["last_task"]
    rng = random.Random(7)
    for task in sub["tasks"].values():  # any time.time() float of 2004-2038 is kept to the last bit
        task["last_state_change"] = rng.uniform(2.0 ** 30, 2.0 ** 31)
    assert compact_state.decode(compact_state.encode(odd)) == odd
    assert state_to_dict(state_from_dict(odd)) == odd


def test_what_the_compact_form_cannot_hold_is_kept_plain(engine: ProcessEngine, register) -> None:
    dct = state_to_dict(_instance(register()).state)
    for change in ("key", "stamp", "int_stamp", "twice"):
        odd = copy.deepcopy(dct)
        key, task = next(iter(odd["tasks"].items()))
        if change == "key":
            odd["tasks"] = {"not-a-uuid": {**task, "id": "not-a-uuid"}, **{k: v for k, v in odd["tasks"].items()
                                                                            if k != key}}
        elif change == "stamp":
            task["last_state_change"] = 1.0e12  # far beyond 2038: outside the span kept as whole units
        elif change == "int_stamp":
            task["last_state_change"] = 1795774523  # an int stays an int
        else:  # one id keying rows in two workflows: places would no longer name one task each
            sub = next(iter(odd["subprocesses"].values()))
            sub["tasks"][key] = copy.deepcopy(task)
        stored = state_from_dict(odd)
        assert stored[:1] not in compact_state.MARKS
        assert state_to_dict(stored) == odd and type(next(iter(state_to_dict(stored)["tasks"].values()))
                                                     ["last_state_change"]) is type(task["last_state_change"])


def test_scrubbing_reads_either_form_and_keeps_what_it_must(engine: ProcessEngine, register) -> None:
    number = register()
    _complete(engine, number, "accept", ACCEPT)
    _complete(engine, number, "first_contact", REACHED)
    stored = _instance(number).state
    for state in (stored, _plain(state_to_dict(stored))):
        scrubbed = state_to_dict(scrub_task_data(state, frozenset({"department"}), "***"))
        text = json.dumps(scrubbed, ensure_ascii=False)
        assert REACHED["contact_summary"] not in text and '"contact_summary":"***"' in text.replace(" ", "")
        assert scrubbed["data"].get("department") == state_to_dict(stored)["data"].get("department")
        assert scrubbed["tasks"].keys() == state_to_dict(stored)["tasks"].keys()
