"""The compact form of a serialized workflow: the same dictionary, stored in about two thirds of the bytes.

SpiffWorkflow's dictionary spells every task id out as 36 characters three or four times (key, id, the
parent's children, the child's parent) and repeats what every task has by default. Here each task id is
written once, as 16 bytes in a table at the front, and referred to by its place in the table; a task is a
row `[task_spec, state, stamp, children, extra]` whose id is its place, whose parent is found from its
parent's children, whose `last_state_change` is counted from the previous row's, and whose `extra` holds
only the fields that differ from the defaults. Decoding gives back exactly the dictionary that was encoded:
`encode` refuses (NotCompact) any dictionary it could not give back exactly, and the caller keeps it in the
plain form then.

The bytes are deflated with a preset dictionary (`state_dictionary_1.json`): the text of two states of the
shipped diagrams, their free text blanked. What every state of an instance spells out again (the task specs'
names, the serializer's keys, the process variables' names and codes) is then found in the dictionary instead
of being written in each state: a complaint closed through both stages is stored in about two thirds of the
bytes. The dictionary is part of the format and never changes (a test holds its digest); another one would be
another mark. A CRC-32 of the ids and the text closes the bytes: a state damaged or cut short is refused
(ValueError) rather than read as another workflow. States written before (mark 0x02: ids and text deflated
together, without a dictionary) still decode.
"""
from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MARK = b"\x03"  # the first byte of the compact form; the plain form is a zlib stream, whose first byte is 0x78
WITHOUT_DICTIONARY = b"\x02"  # the compact form deflated without the preset dictionary (still decoded)
MARKS = (MARK, WITHOUT_DICTIONARY)
DICTIONARY = (Path(__file__).parent / "state_dictionary_1.json").read_bytes()
_COUNT = struct.Struct("<I")
_CRC = struct.Struct("<I")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REFS = ("root", "last_task", "parent_task_id")
_ROW_KEYS = ("id", "parent", "children", "last_state_change", "state", "task_spec")
# SpiffWorkflow's timestamps are floats of time.time(); between 2**30 and 2**31 seconds (2004-2038) a float
# is an exact multiple of 2**-22, so it is stored as that whole number of units, exactly.
_UNIT = 2.0 ** 22
_SPAN = (2.0 ** 30, 2.0 ** 31)
_ABSENT = object()  # what no serialized field holds: a field without a default is always kept


# What encoding worked out for a task's dictionary (the fields that differ from the defaults), by the
# dictionary's identity: a finished task's dictionary is the same object from save to save of one workflow
# (engine/bpmn/persistence.py), so the next encoding takes it instead of comparing every field again.
Memo = dict[int, tuple[dict[str, Any], dict[str, Any], int]]


class NotCompact(ValueError):
    """A dictionary this form cannot give back exactly (an unexpected shape): keep it in the plain form."""


def _defaults() -> dict[str, Any]:
    return {"triggered": False, "internal_data": {}, "data": {}, "delta": {"updates": {}, "deletions": []},
            "typename": "Task"}


def _workflows(dct: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The workflow and its subprocesses, in the order both directions walk them."""
    yield dct
    for sub in dct.get("subprocesses", {}).values():
        yield from _workflows(sub)


class _Table:
    """Task ids in the order they are first met: each written once as 16 bytes."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.place: dict[str, int] = {}

    def add(self, value: Any) -> int:
        place = self.place.get(value) if isinstance(value, str) else None
        if place is not None:
            return place
        if not isinstance(value, str) or not _UUID.fullmatch(value):
            raise NotCompact(f"not a task id: {value!r}")
        self.place[value] = place = len(self.ids)
        self.ids.append(value)
        return place

    def ref(self, value: Any) -> int | None:
        return None if value is None else self.add(value)

    def to_bytes(self) -> bytes:
        return _COUNT.pack(len(self.ids)) + b"".join(bytes.fromhex(i.replace("-", "")) for i in self.ids)


def _units(stamp: Any) -> int:
    if type(stamp) is not float or not _SPAN[0] <= stamp < _SPAN[1] or not (stamp * _UNIT).is_integer():
        raise NotCompact(f"not a timestamp this form keeps exactly: {stamp!r}")
    return int(stamp * _UNIT)


def _worked_out(key: str, task: dict[str, Any], memo: Memo, used: Memo) -> tuple[dict[str, Any], int]:
    """The task's fields that differ from the defaults (not to be changed: it may be the memo's) and its
    stamp in units; the shape is checked when the dictionary is first met."""
    hit = memo.get(id(task))
    if hit is not None and hit[0] is task:
        used[id(task)] = hit
        return hit[1], hit[2]
    if not all(k in task for k in _ROW_KEYS) or task["id"] != key:
        raise NotCompact(f"task {key} has an unexpected shape")
    defaults = _defaults()
    extra = {k: v for k, v in task.items() if k not in _ROW_KEYS and defaults.get(k, _ABSENT) != v}
    units = _units(task["last_state_change"])
    used[id(task)] = (task, extra, units)
    return extra, units


def _encode_workflow(wf: dict[str, Any], table: _Table, clock: list[int], memo: Memo,
                     used: Memo) -> dict[str, Any]:
    if not isinstance(wf.get("tasks"), dict) or "refs" in wf:
        raise NotCompact("a workflow of an unexpected shape")
    derived = {child: key for key, task in wf["tasks"].items() for child in task.get("children", ())}
    rows = []
    places, add = table.place, table.add  # every row's id is in the table already: a lookup finds most ids
    for key, task in wf["tasks"].items():
        extra, units = _worked_out(key, task, memo, used)
        place = places[key]
        if task["parent"] != derived.get(key):
            extra = {**extra, "parent": table.ref(task["parent"])}
        children = [(places.get(c) if type(c) is str else None) for c in task["children"]]
        if None in children:  # an id that is no row's (or not an id at all): the table adds it, or refuses it
            children = [add(c) for c in task["children"]]
        row = [task["task_spec"], task["state"], units - clock[0], [c - place for c in children]]
        if extra:
            row.append(extra)
        rows.append(row)
        clock[0] = units
    out = {k: v for k, v in wf.items() if k not in ("tasks", "subprocesses", *_REFS)}
    out["tasks"] = rows
    out["refs"] = {k: table.ref(wf[k]) for k in _REFS if k in wf}
    if "subprocesses" in wf:
        out["subprocesses"] = [[table.add(k), _encode_workflow(v, table, clock, memo, used)]
                               for k, v in wf["subprocesses"].items()]
    return out


def encode(dct: dict[str, Any], memo: Memo | None = None) -> bytes:
    """The compact bytes of a serialized workflow (raises NotCompact when it could not be decoded exactly).
    `memo` is kept by the caller between encodings of one workflow; it is left holding this encoding's."""
    table, text = _table_and_text(dct, memo)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
    # The ids are random: they go as they are, outside the deflated text, where they would only lengthen the
    # codes of every literal and the distances back to the dictionary.
    ids = table.to_bytes()
    return (MARK + ids + packer.compress(text) + packer.flush()
            + _CRC.pack(zlib.crc32(text, zlib.crc32(ids))))


def text_of(dct: dict[str, Any]) -> bytes:
    """The compact form's text of a serialized workflow, without its table of task ids (what a preset
    dictionary is made of: tools/make_state_dictionary.py)."""
    return _table_and_text(dct, None)[1]


def _table_and_text(dct: dict[str, Any], memo: Memo | None) -> tuple[_Table, bytes]:
    table = _Table()
    for wf in _workflows(dct):  # the rows' places come first, in walking order: a row's id is its place
        for key in wf.get("tasks", {}):
            if key in table.place:
                raise NotCompact(f"task id {key} is the key of two rows")
            table.add(key)
    used: Memo = {}
    body = _encode_workflow(dct, table, [0], {} if memo is None else memo, used)
    if memo is not None:
        memo.clear()
        memo.update(used)
    return table, json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _decode_workflow(body: dict[str, Any], ids: list[str], walk: list[int], clock: list[int]) -> dict[str, Any]:
    tasks: dict[str, dict[str, Any]] = {}
    for spec_name, state, step, children, *rest in body.pop("tasks"):
        place, extra = walk[0], rest[0] if rest else {}
        walk[0], clock[0] = place + 1, clock[0] + step
        task = {"id": ids[place], "children": [ids[place + c] for c in children],
                "last_state_change": clock[0] / _UNIT, "state": state, "task_spec": spec_name, **_defaults(), **extra}
        if "parent" in extra:
            task["parent"] = None if extra["parent"] is None else ids[extra["parent"]]
        tasks[task["id"]] = task
    derived = {child: key for key, task in tasks.items() for child in task["children"]}
    for key, task in tasks.items():
        task.setdefault("parent", derived.get(key))
    refs, subprocesses = body.pop("refs"), body.pop("subprocesses", None)
    out = {**body, "tasks": tasks, **{k: None if v is None else ids[v] for k, v in refs.items()}}
    if subprocesses is not None:
        out["subprocesses"] = {ids[k]: _decode_workflow(v, ids, walk, clock) for k, v in subprocesses}
    return out


def decode(state: bytes) -> dict[str, Any]:
    """The serialized workflow the compact bytes hold; ValueError for bytes that are not one, whole."""
    try:
        if state[:1] == MARK:  # the ids as they are, the text deflated with the dictionary, their CRC-32
            raw = memoryview(state)[1:]
            (count,) = _COUNT.unpack_from(raw)
            end = _COUNT.size + 16 * count
            unpacker = zlib.decompressobj(-15, DICTIONARY)
            text = unpacker.decompress(raw[end:]) + unpacker.flush()
            if not unpacker.eof or len(unpacker.unused_data) != _CRC.size:
                raise ValueError("a compact state cut short, or with bytes after its end")
            if _CRC.unpack(unpacker.unused_data)[0] != zlib.crc32(text, zlib.crc32(raw[:end])):
                raise ValueError("a compact state that does not match its checksum")
        elif state[:1] == WITHOUT_DICTIONARY:  # the ids and the text deflated together (no checksum)
            raw = memoryview(zlib.decompress(state[1:], -15))
            (count,) = _COUNT.unpack_from(raw)
            end = _COUNT.size + 16 * count
            text = raw[end:]
        else:
            raise ValueError("not the compact form of a workflow")
        ids = [_uuid_text(raw[i:i + 16]) for i in range(_COUNT.size, end, 16)]
        return _decode_workflow(json.loads(bytes(text)), ids, [0], [0])
    except (struct.error, zlib.error, IndexError, KeyError, TypeError) as err:
        raise ValueError(f"not a whole compact state: {err}") from err


def _uuid_text(value: bytes | memoryview) -> str:
    h = value.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
