"""The stored state's preset dictionary: it is part of the format (fixed bytes), it makes a closed complaint's
state about a third smaller, and states written before it (mark 0x02) still load and are rewritten with it."""
from __future__ import annotations

import hashlib
import zlib

import pytest
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.bpmn import compact_state
from engine.bpmn.persistence import state_to_dict
from models import ProcessInstance, Task, db
from tests.engine.test_state_format import BOTH_STAGES

# A state written with the dictionary can only be read with these very bytes: changing them is a new format.
DIGEST = "91aaaeea890c0dddf618e26ab46d368d5aec8eb67cb4a45d683e3e140e9fd96e"


def _instance(number: str) -> ProcessInstance:
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()


def _complete(engine: ProcessEngine, number: str, bpmn_id: str, data: dict) -> None:
    [task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
    assert task.bpmn_id == bpmn_id
    engine.complete_task(task.id, data, Actor("tester"))


def _without_dictionary(state: bytes) -> bytes:
    """The same state as written before the dictionary: ids and text deflated together, mark 0x02."""
    assert state[:1] == compact_state.MARK
    (count,) = compact_state._COUNT.unpack_from(state, 1)
    end = 1 + compact_state._COUNT.size + 16 * count
    unpacker = zlib.decompressobj(-15, compact_state.DICTIONARY)
    text = unpacker.decompress(state[end:]) + unpacker.flush()
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compact_state.WITHOUT_DICTIONARY + packer.compress(state[1:end] + text) + packer.flush()


def test_the_dictionary_is_the_fixed_one() -> None:
    assert hashlib.sha256(compact_state.DICTIONARY).hexdigest() == DIGEST
    # No complaint's own words: the free text of the complaint it was made from is blanked.
    assert "Договорились".encode() not in compact_state.DICTIONARY


def test_a_closed_complaint_is_stored_in_about_two_thirds_of_the_bytes(engine: ProcessEngine, register) -> None:
    number = register()
    for bpmn_id, data in BOTH_STAGES:
        _complete(engine, number, bpmn_id, data)
    state = _instance(number).state
    assert _instance(number).status == "completed"
    old = _without_dictionary(state)
    assert state_to_dict(old) == state_to_dict(state)
    assert len(state) < 0.75 * len(old)


def test_a_state_written_without_the_dictionary_loads_and_is_written_with_it(engine: ProcessEngine,
                                                                           register) -> None:
    number = register()
    _complete(engine, number, "accept", BOTH_STAGES[0][1])
    instance = _instance(number)
    before = state_to_dict(instance.state)
    instance.state = _without_dictionary(instance.state)
    db.session.commit()
    db.session.expire_all()
    assert _instance(number).state[:1] == compact_state.WITHOUT_DICTIONARY
    fresh = ProcessEngine(db.session, engine.settings)  # no cached workflow: the old bytes are what loads
    _complete(fresh, number, "first_contact", BOTH_STAGES[1][1])
    after = _instance(number).state
    assert after[:1] == compact_state.MARK
    assert set(before["tasks"]) <= set(state_to_dict(after)["tasks"])
    [open_task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
    assert open_task.bpmn_id == "correction"


def test_a_damaged_state_is_refused_not_read_as_another_workflow(engine: ProcessEngine, register) -> None:
    state = _instance(register()).state
    assert state_to_dict(state)["tasks"]
    (count,) = compact_state._COUNT.unpack_from(state, 1)
    in_ids, in_text = 1 + compact_state._COUNT.size + 3, 1 + compact_state._COUNT.size + 16 * count + 5
    damaged = {
        "cut short": state[:-8], "cut to the mark and a byte": state[:2], "a byte after the end": state + b"\0",
        **{f"bit {bit} of byte {at}": state[:at] + bytes([state[at] ^ (1 << bit)]) + state[at + 1:]
           for at in (in_ids, in_text, len(state) - 2) for bit in (0, 5)},
    }
    for what, bad in damaged.items():
        with pytest.raises(ValueError):
            state_to_dict(bad)
            pytest.fail(f"{what}: decoded")


def test_a_child_that_is_no_row_is_kept_and_one_that_is_no_id_is_refused(engine: ProcessEngine, register) -> None:
    """The encoder finds children among the rows it has placed; any other child goes through the table: an id of
    no row is still given back exactly, something that is not an id sends the state to the plain form."""
    dct = state_to_dict(_instance(register()).state)
    task = next(t for t in dct["tasks"].values() if t["children"])
    stray = "0f0e0d0c-0b0a-4908-8706-050403020100"
    task["children"] = [stray, *task["children"]]
    assert compact_state.decode(compact_state.encode(dct)) == dct
    task["children"] = ["not-an-id", *task["children"][1:]]
    with pytest.raises(compact_state.NotCompact):
        compact_state.encode(dct)
