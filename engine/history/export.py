"""One complaint's history for an auditor: every event with its readable data, its sealed value and hashes.

The file carries the case key of each instance: it opens only that case's data, which the file shows
anyway, and lets the offline check prove the readable data is what was hashed. A file is personal data
as long as its case is not erased: keep it like the case itself.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.history import chain, packing
from engine.history.vault import open_event
from models import InstanceEvent, ProcessInstance

FORMAT = "complaint-desk/history"
# 2: a case key of 33 bytes starting 0x02 seals with AES-256-GCM-SIV, the seq as nonce (see RECIPE); a verifier
# written for 1 knows only the 32-byte AES-256-GCM keys. Exports of either version are checked.
VERSION = 2
READABLE_VERSIONS = (1, 2)
RECIPE = (
    "Per instance, events seq 1..n; hash = SHA-256 of sorted-key compact UTF-8 JSON of {v: 1, instance, "
    "business_key, seq, at (UTC, microseconds, Z), actor, kind, task_id, bpmn_id, step, sealed (base64 or "
    "null), prev (hex of the previous hash, 64 zeros for seq 1)}. sealed = 12-byte nonce + AES-256-GCM "
    "ciphertext and tag of the data as compact JSON, or of the byte 0x01 followed by that JSON raw-deflated "
    "(RFC 1951) with the preset dictionary `dictionary` (base64), associated data "
    "'instance_event:<instance>:<seq>', opened with case_key (base64; null once erased); when case_key is 33 "
    "bytes starting with 0x02, sealed = AES-256-GCM-SIV (RFC 8452) ciphertext and tag under its last 32 bytes, "
    "the nonce being seq as a 12-byte big-endian number (no nonce stored). head is the instance's last seq and "
    "hash."
)


def _event(event: InstanceEvent, instance: ProcessInstance, prev_hash: bytes) -> dict[str, Any]:
    opened = open_event(event, instance, prev_hash)
    return {
        "id": event.id, "seq": event.seq, "at": chain.utc_text(event.at), "actor": event.actor, "kind": event.kind,
        "task_id": event.task_id, "bpmn_id": event.bpmn_id, "step": event.step, "data": opened.data,
        "erased": opened.erased, "sealed": chain.b64(event.sealed), "prev_hash": prev_hash.hex(),
        "hash": event.hash.hex(),
    }


def _events(events: list[InstanceEvent], instance: ProcessInstance) -> list[dict[str, Any]]:
    """Each event with the hash of the one before it, which the database does not store again."""
    return [_event(e, instance, events[i - 1].hash if i else chain.GENESIS) for i, e in enumerate(events)]


def _instance(s: Session, instance: ProcessInstance) -> dict[str, Any]:
    events = list(s.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)
                            .order_by(InstanceEvent.seq)))
    return {
        "instance": instance.id, "business_key": instance.business_key,
        "definition": {"key": instance.definition.key, "version": instance.definition.version},
        "status": instance.status, "case_key": chain.b64(instance.history_key),
        "erased_at": chain.utc_text(instance.history_erased_at) if instance.history_erased_at else None,
        "erased_reason": instance.history_erased_reason,
        "head": {"seq": instance.history_seq, "hash": instance.history_head.hex() if instance.history_head else None},
        "events": _events(events, instance),
    }


def document(s: Session, instances: list[ProcessInstance], business_key: str, exported_by: str,
             now: dt.datetime) -> dict[str, Any]:
    return {
        "format": FORMAT, "version": VERSION, "business_key": business_key, "exported_at": chain.utc_text(now),
        "exported_by": exported_by, "recipe": RECIPE, "dictionary": chain.b64(packing.DICTIONARY),
        "instances": [_instance(s, i) for i in instances],
    }
