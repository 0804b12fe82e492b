"""The recipe of the history chain: what each event's hash covers and how a sequence of links is checked.

Pure functions (no database) so the migration, the database check and the offline check of an exported
file share one definition. Changing the recipe breaks every stored chain: add a new `VERSION` instead.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

VERSION = 1
HASH_BYTES = 32
GENESIS = bytes(HASH_BYTES)  # the prev_hash of an instance's first event


@dataclass(frozen=True)
class Link:
    """One event as the chain sees it: its position, its plain columns, its sealed data and both hashes."""

    instance_id: int
    business_key: str
    seq: int
    at: dt.datetime
    actor: str
    kind: str
    task_id: str | None
    bpmn_id: str | None
    step: str | None
    sealed: bytes | None
    prev_hash: bytes
    hash: bytes
    event_id: int | None = None


@dataclass(frozen=True)
class Break:
    """The first link that does not hold: where, and what is wrong with it."""

    instance_id: int
    business_key: str
    seq: int | None
    event_id: int | None
    problem: str  # hash_mismatch | prev_mismatch | missing_events | repeated_seq | head_mismatch | data_mismatch
    message: str


def utc_text(at: dt.datetime) -> str:
    """The moment as hashed: UTC, microseconds, a trailing Z (what both databases store exactly)."""
    if at.tzinfo is None:
        raise ValueError("history moments are aware datetimes")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


def unb64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value.encode("ascii"), validate=True)


def canonical(instance_id: int, business_key: str, seq: int, at: dt.datetime, actor: str, kind: str,
              task_id: str | None, bpmn_id: str | None, step: str | None, sealed: bytes | None,
              prev_hash: bytes) -> bytes:
    """Sorted-key compact JSON of everything an event says, with its data only as ciphertext: shredding
    the case key makes the data unreadable without changing a byte of what was hashed."""
    content: dict[str, Any] = {
        "v": VERSION, "instance": instance_id, "business_key": business_key, "seq": seq, "at": utc_text(at),
        "actor": actor, "kind": kind, "task_id": task_id, "bpmn_id": bpmn_id, "step": step,
        "sealed": b64(sealed), "prev": prev_hash.hex(),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link_hash(instance_id: int, business_key: str, seq: int, at: dt.datetime, actor: str, kind: str,
              task_id: str | None, bpmn_id: str | None, step: str | None, sealed: bytes | None,
              prev_hash: bytes) -> bytes:
    return hashlib.sha256(canonical(instance_id, business_key, seq, at, actor, kind, task_id, bpmn_id, step,
                                    sealed, prev_hash)).digest()


def hash_of(link: Link) -> bytes:
    return link_hash(link.instance_id, link.business_key, link.seq, link.at, link.actor, link.kind, link.task_id,
                     link.bpmn_id, link.step, link.sealed, link.prev_hash)


def check_instance(links: Iterable[Link], head_seq: int, head_hash: bytes | None,
                   instance_id: int, business_key: str) -> Iterator[Break]:
    """Every break of one instance's chain, in order: links must run 1..n without gaps or repeats, each
    naming the hash of the one before and hashing to what it stores, and the last must be the head the
    instance row keeps (which catches events cut off the end)."""
    expected_seq, prev, last = 1, GENESIS, None
    for link in links:
        where = dict(instance_id=instance_id, business_key=business_key, seq=link.seq, event_id=link.event_id)
        if link.seq < expected_seq:
            yield Break(**where, problem="repeated_seq",
                        message=f"seq {link.seq} appears again (an event was inserted)")
            continue
        if link.seq > expected_seq:
            yield Break(**where, problem="missing_events",
                        message=f"expected seq {expected_seq}, found {link.seq} (events deleted before it)")
        elif link.prev_hash != prev:
            yield Break(**where, problem="prev_mismatch",
                        message="prev_hash is not the hash of the event before (an event was removed or replaced)")
        if hash_of(link) != link.hash:
            yield Break(**where, problem="hash_mismatch",
                        message="the event's content does not hash to its stored hash (the row was changed)")
        expected_seq, prev, last = link.seq + 1, link.hash, link
    last_seq, last_hash = (last.seq, last.hash) if last else (0, None)
    if (last_seq, last_hash) != (head_seq, head_hash if head_seq else None):
        yield Break(instance_id=instance_id, business_key=business_key, seq=last_seq or None,
                    event_id=last.event_id if last else None, problem="head_mismatch",
                    message=f"the instance's chain head is seq {head_seq}, its last event is seq {last_seq} "
                            f"(events deleted at the end, or the head was changed)")
