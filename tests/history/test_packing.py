"""Event data is sealed deflated with the history's preset dictionary; values sealed as plain JSON before
still open, in the database and in an export, and the export carries what an auditor needs to open both."""
from __future__ import annotations

import base64
import json
import os
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV
from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from engine.history import chain, packing, sealing, verify
from models import InstanceEvent, ProcessInstance, db
from tests.conftest import history_events
from tests.history.helpers import BOTH_STAGES, behind_the_guard, instance_of, walk
from tests.test_ui_pages import signed_in

KEY = bytes(range(32))
FORM = {"form": {"client_reached": True, "contact_summary": "Клиент просит перезвонить после обеда"},
        "changed": {"step_completed_at": {"1.1": "2026-11-27T10:15:23.345801+00:00"}}}


def _plain_seal(key: bytes, instance_id: int, seq: int, data: dict[str, Any]) -> bytes:
    """A value as sealed before packing existed: the compact JSON itself (under the case key's scheme)."""
    plain = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    place = f"instance_event:{instance_id}:{seq}".encode()
    if len(key) == 33 and key[:1] == b"\x02":
        return AESGCMSIV(key[1:]).encrypt(seq.to_bytes(12, "big"), plain, place)
    nonce = os.urandom(sealing.NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, place)


def _inside(key: bytes, instance_id: int, seq: int, sealed: bytes) -> bytes:
    """The sealed value opened as the export's recipe says, without the engine's code."""
    place = f"instance_event:{instance_id}:{seq}".encode()
    if len(key) == 33 and key[:1] == b"\x02":
        return AESGCMSIV(key[1:]).decrypt(seq.to_bytes(12, "big"), sealed, place)
    return AESGCM(key).decrypt(sealed[:12], sealed[12:], place)


def test_data_is_sealed_deflated_and_opens_as_it_was() -> None:
    sealed = sealing.seal(KEY, 7, 3, FORM)
    inside = _inside(KEY, 7, 3, sealed)
    plain = json.dumps(FORM, separators=(",", ":"), ensure_ascii=False).encode()
    assert inside[:1] == packing.DEFLATED and len(inside) < len(plain) * 0.75
    assert sealing.open_sealed(KEY, 7, 3, sealed) == FORM
    # Where deflating does not pay, the JSON itself is sealed.
    tiny = {"a": 1}
    assert _inside(KEY, 7, 4, sealing.seal(KEY, 7, 4, tiny)) == b'{"a":1}'
    assert sealing.open_sealed(KEY, 7, 4, sealing.seal(KEY, 7, 4, tiny)) == tiny


def test_values_sealed_as_plain_json_still_open() -> None:
    assert sealing.open_sealed(KEY, 7, 3, _plain_seal(KEY, 7, 3, FORM)) == FORM


def test_a_new_case_key_seals_without_a_stored_nonce_and_an_older_key_as_before() -> None:
    key = sealing.new_key()
    assert len(key) == 33 and key[:1] == sealing.SIV
    packed = packing.pack(FORM)
    sealed = sealing.seal(key, 7, 3, FORM)
    assert len(sealed) == len(packed) + 16 and _inside(key, 7, 3, sealed) == packed  # ciphertext and tag
    assert sealing.open_sealed(key, 7, 3, sealed) == FORM
    # The nonce is the seq: the same data at another seq seals differently; moved, a value does not open.
    assert sealing.seal(key, 7, 4, FORM) != sealed
    for place in ((7, 4), (8, 3)):
        with pytest.raises(sealing.UnreadableData):
            sealing.open_sealed(key, *place, sealed)
    with pytest.raises(sealing.UnreadableData):
        sealing.open_sealed(key, 7, 3, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    # A case keyed before (32 bytes) goes on sealing with AES-GCM and a random nonce.
    older = sealing.seal(KEY, 7, 3, FORM)
    assert len(older) == sealing.NONCE_BYTES + len(packed) + 16 and older != sealing.seal(KEY, 7, 3, FORM)
    assert sealing.open_sealed(KEY, 7, 3, older) == FORM


def test_old_and_new_values_side_by_side_verify_and_export(app: Flask, engine: ProcessEngine, register: Any) -> None:
    number = register()
    walk(engine, number, BOTH_STAGES)
    instance = instance_of(number)
    rows = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id,
                                                               InstanceEvent.sealed.is_not(None))
                                   .order_by(InstanceEvent.seq)))
    assert all(_inside(instance.history_key, r.instance_id, r.seq, r.sealed)[:1] == packing.DEFLATED
               for r in rows if r.kind == "task_completed")
    # One event's value as an older version sealed it (same data, same place): the chain is rehashed from
    # there on, as it stood then, behind the append-only guard.
    victim = next(r for r in rows if r.kind == "task_completed" and r.bpmn_id == "first_contact")
    before = next(e for e in history_events(instance_id=instance.id) if e.seq == victim.seq).data
    old = _plain_seal(instance.history_key, victim.instance_id, victim.seq, before)
    _rehash_from(instance.id, victim.seq, old)
    assert next(e for e in history_events(instance_id=instance.id) if e.seq == victim.seq).data == before
    assert engine.verify_history().ok
    document = signed_in(app, "qms").get(f"/complaints/{number}/history.json").get_json()
    assert verify.check_export(document).ok
    # An auditor opens every value from the file alone: the recipe, the case key and the dictionary.
    [part] = document["instances"]
    dictionary, key = base64.b64decode(document["dictionary"]), base64.b64decode(part["case_key"])
    for e in part["events"]:
        if e["sealed"] is None:
            continue
        inside = _inside(key, part["instance"], e["seq"], base64.b64decode(e["sealed"]))
        if inside[:1] == b"\x01":
            unpacker = zlib.decompressobj(-15, dictionary)
            inside = unpacker.decompress(inside[1:]) + unpacker.flush()
        assert json.loads(inside) == e["data"]


def _rehash_from(instance_id: int, seq: int, sealed: bytes) -> None:
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None
    rows = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
                                   .order_by(InstanceEvent.seq)))
    prev = chain.GENESIS
    for row in rows:
        value = sealed if row.seq == seq else row.sealed
        digest = chain.link_hash(instance_id, instance.business_key, row.seq, row.at, row.actor, row.kind,
                                 row.task_id, row.bpmn_id, row.step, value, prev)
        if row.seq >= seq:
            behind_the_guard("UPDATE instance_event SET sealed = :sealed, hash = :hash WHERE id = :id",
                             sealed=value, hash=digest, id=row.id)
        prev = digest
    behind_the_guard("UPDATE process_instance SET history_head = :head WHERE id = :id", head=prev, id=instance_id)

