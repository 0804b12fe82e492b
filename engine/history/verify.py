"""Checking chains: every instance's history in the database, or one complaint's exported file offline."""
from __future__ import annotations

import binascii
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.history import chain, sealing
from engine.history.chain import Break, Link
from engine.history.export import FORMAT, READABLE_VERSIONS
from models import InstanceEvent, ProcessInstance

BATCH = 2000


@dataclass(frozen=True)
class Report:
    """What a check found: counts of what it read, and the first broken link (None when all hold)."""

    instances: int
    events: int
    erased: int
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


class MalformedExport(ValueError):
    """A file that is not a history export this version can check; the message says what is missing."""


def _links(rows: Iterable[Any], business_key: str) -> list[Link]:
    """The rows as links; each names the hash of the row before it (rows store only their own hash: a
    changed, removed or inserted row then fails the hash of the row after it, or the head)."""
    links, prev = [], chain.GENESIS
    for r in rows:
        links.append(Link(instance_id=r.instance_id, business_key=business_key, seq=r.seq, at=r.at, actor=r.actor,
                          kind=r.kind, task_id=r.task_id, bpmn_id=r.bpmn_id, step=r.step, sealed=r.sealed,
                          prev_hash=prev, hash=r.hash, event_id=r.id))
        prev = r.hash
    return links


def check_database(s: Session, instance_ids: Iterable[int] | None = None) -> Report:
    """Walk the chains instance by instance (ascending id, then seq) and stop at the first broken link.
    Reads events in batches and holds one instance's events at a time."""
    heads_stmt = select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.history_seq,
                        ProcessInstance.history_head, ProcessInstance.history_erased_at).order_by(ProcessInstance.id)
    events_stmt = select(InstanceEvent.id, InstanceEvent.instance_id, InstanceEvent.seq, InstanceEvent.at,
                         InstanceEvent.actor, InstanceEvent.kind, InstanceEvent.task_id, InstanceEvent.bpmn_id,
                         InstanceEvent.step, InstanceEvent.sealed, InstanceEvent.hash
                         ).order_by(InstanceEvent.instance_id, InstanceEvent.seq, InstanceEvent.id)
    if instance_ids is not None:
        wanted = list(instance_ids)
        heads_stmt = heads_stmt.where(ProcessInstance.id.in_(wanted))
        events_stmt = events_stmt.where(InstanceEvent.instance_id.in_(wanted))
    heads = list(s.execute(heads_stmt))
    erased = sum(1 for h in heads if h.history_erased_at is not None)
    stream = groupby(s.execute(events_stmt.execution_options(yield_per=BATCH)), key=lambda r: r.instance_id)
    instances = events = 0
    for head, rows in _merge(heads, stream):
        instances += 1
        links = _links(rows, head.business_key)
        events += len(links)
        broken = next(chain.check_instance(links, head.history_seq, head.history_head, head.id,
                                           head.business_key), None)
        if broken is not None:
            return Report(instances, events, erased, broken)
    return Report(instances, events, erased, None)


def _merge(heads: list[Any], stream: Iterator[tuple[int, Iterator[Any]]]) -> Iterator[tuple[Any, list[Any]]]:
    """Each instance with its events (none for an instance without history, or whose history is gone)."""
    group = next(stream, None)
    for head in heads:
        if group is not None and group[0] == head.id:
            yield head, list(group[1])
            group = next(stream, None)
        else:
            yield head, []


def _at(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value} has no time zone")
    return moment


def _export_links(part: dict[str, Any]) -> list[Link]:
    return [Link(instance_id=int(part["instance"]), business_key=str(part["business_key"]), seq=int(e["seq"]),
                 at=_at(e["at"]), actor=e["actor"], kind=e["kind"], task_id=e["task_id"], bpmn_id=e["bpmn_id"],
                 step=e["step"], sealed=chain.unb64(e["sealed"]), prev_hash=bytes.fromhex(e["prev_hash"]),
                 hash=bytes.fromhex(e["hash"]), event_id=e.get("id")) for e in part["events"]]


def _data_break(part: dict[str, Any], link: Link, shown: Any) -> Break | None:
    """The readable data in the file must be what the sealed value holds: the case key in the file opens
    it. Without a key (erased) nothing may be shown."""
    key = chain.unb64(part.get("case_key"))
    if key is None:
        expected = None
    elif link.sealed is None:
        expected = {}
    else:
        try:
            expected = sealing.open_sealed(key, link.instance_id, link.seq, link.sealed)
        except sealing.UnreadableData:
            expected = "unreadable"
    if shown == expected:
        return None
    return Break(instance_id=link.instance_id, business_key=link.business_key, seq=link.seq, event_id=link.event_id,
                 problem="data_mismatch", message="the readable data is not what the sealed data holds")


def check_export(document: Any) -> Report:
    """Check an exported history without the database: each instance's chain, its head, and that the
    readable data of every event is what its hashed, sealed value holds."""
    if (not isinstance(document, dict) or document.get("format") != FORMAT
            or document.get("version") not in READABLE_VERSIONS):
        versions = " or ".join(map(str, READABLE_VERSIONS))
        raise MalformedExport(f"not a history export of format {FORMAT} version {versions}")
    instances = events = erased = 0
    try:
        for part in document["instances"]:
            instances += 1
            erased += part.get("erased_at") is not None
            links = _export_links(part)
            events += len(links)
            head = part["head"]
            head_hash = bytes.fromhex(head["hash"]) if head.get("hash") else None
            broken = next(chain.check_instance(links, int(head["seq"]), head_hash, int(part["instance"]),
                                               str(part["business_key"])), None)
            broken = broken or next((b for link, e in zip(links, part["events"], strict=True)
                                     if (b := _data_break(part, link, e.get("data"))) is not None), None)
            if broken is not None:
                return Report(instances, events, erased, broken)
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        raise MalformedExport(f"the file does not have the export's shape: {err!r}") from err
    return Report(instances, events, erased, None)
