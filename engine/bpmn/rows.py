"""An instance's projection rows within one transaction: read once, written once per table.

A step touches the instance's open tasks, its timers and its complaint's deadlines several times (complete the
step's deadline, arm the next, set the new task's due date, cancel a timer). Each use case used to query them
where it needed them and let the ORM flush each change as its own statement. Here the rows are loaded once per
transaction (or handed over by the warm cache, see `engine.bpmn.warm`), changed in memory, and the changed and
new rows of each table go out in one INSERT … ON CONFLICT DO UPDATE when the instance is saved.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import NO_VALUE, set_committed_value

from engine import column_checks, driver_sql
from models import Complaint, Deadline, ProcessInstance, Task, Timer

KEY = "instance_rows"
COMPLAINTS = "instance_complaints"
# Each table's conflict target: the columns that name a row whatever its surrogate key.
_CONFLICT = {Task: ("id",), Timer: ("id",), Deadline: ("business_key", "step")}


@dataclass
class InstanceRows:
    """The open tasks, the timers and the deadlines of one instance, as this transaction sees them."""

    tasks: dict[str, Task] = field(default_factory=dict)        # open tasks by id
    timers: dict[str, Timer] = field(default_factory=dict)      # pending (or changed here) timers by id
    settled_timers: set[str] = field(default_factory=set)  # ids of timers fired or failed before (cancelled
    # ones have no row: migration 0015)
    deadlines: dict[str, Deadline] = field(default_factory=dict)  # by step

    def open_task_of_step(self, step: str) -> Task | None:
        return next((t for t in self.tasks.values() if t.step == step and t.status == "open"), None)


def columns(obj: Any) -> dict[str, Any]:
    """A row's column values (what the warm cache keeps)."""
    return {c.key: getattr(obj, c.key) for c in inspect(type(obj)).column_attrs}


def adopt(s: Session, cls: type, values: dict[str, Any]) -> Any:
    """A persistent, unchanged object for a row known to be in the database with `values`, without reading it."""
    key = s.identity_key(cls, values["id"])
    found = s.identity_map.get(key)
    if found is not None:
        # What `set_committed_value` does for each column, done once for all of them: the values become
        # the committed ones, any pending change or expiry of those columns forgotten.
        state = inspect(found)
        state.dict.update(values)
        state._commit(state.dict, list(values))
        return found
    # Built as the ORM's loader builds a row it read: the values go straight into the new object's state,
    # without the attribute events a constructor sends (the history they record is reset next anyway).
    obj = inspect(cls).class_manager.new_instance()
    inspect(obj).dict.update(values)
    make_transient_to_detached(obj)
    s.add(obj)
    return obj


def of(s: Session, instance: ProcessInstance) -> InstanceRows:
    """This transaction's rows of the instance: from the session if already known, else read (3 queries)."""
    known: dict[int, InstanceRows] = s.info.setdefault(KEY, {})
    if instance.id in known:
        return known[instance.id]
    timers = list(s.scalars(select(Timer).where(Timer.instance_id == instance.id)))
    rows = InstanceRows(
        tasks={t.id: t for t in s.scalars(select(Task).where(Task.instance_id == instance.id,
                                                            Task.status == "open"))},
        timers={t.id: t for t in timers if t.status == "pending"},
        settled_timers={t.id for t in timers if t.status != "pending"},
        deadlines={d.step: d for d in s.scalars(select(Deadline).where(
            Deadline.business_key == instance.business_key))})
    known[instance.id] = rows
    return rows


def put(s: Session, instance_id: int, rows: InstanceRows) -> None:
    """Hand this transaction rows known without reading them (a new instance, or the warm cache)."""
    s.info.setdefault(KEY, {})[instance_id] = rows


def forget(s: Session) -> None:
    s.info.pop(KEY, None)
    s.info.pop(COMPLAINTS, None)


def complaint(s: Session, business_key: str, read: Callable[[], Complaint | None]) -> Complaint | None:
    """The complaint of a business key, read at most once per transaction."""
    known: dict[str, Complaint | None] = s.info.setdefault(COMPLAINTS, {})
    if business_key not in known:
        known[business_key] = read()
    return known[business_key]


def remember_complaint(s: Session, business_key: str, found: Complaint | None) -> None:
    s.info.setdefault(COMPLAINTS, {})[business_key] = found


def write(s: Session, rows: InstanceRows) -> None:
    """Write the changed and new rows: one statement per table; the objects are unchanged afterwards."""
    groups = ((Task, rows.tasks.values()), (Timer, rows.timers.values()), (Deadline, rows.deadlines.values()))
    for cls, objs in groups:
        new, changed = [], []
        for obj in objs:
            state = inspect(obj)
            if state.transient or state.pending:
                new.append(obj)
            elif state.modified and changed_values(state):
                changed.append(obj)
        if new or changed:
            if cls is Task:  # the rows whose text can come from a form (a department code, say)
                column_checks.check_rows(s, new)
            _upsert(s, cls, new + changed)
    _let_cancelled_timers_go(s, rows)


def changed_values(state: Any) -> dict[str, Any]:
    """The values of an object's columns that differ from what was loaded (touched but equal ones left out)."""
    return {k: state.dict[k] for k, old in state.committed_state.items()
            if k in state.dict and (old is NO_VALUE or old != state.dict[k])}


def scalar_defaults(table: Any, names: list[str]) -> list[tuple[str, Any]]:
    """The Python-side defaults the ORM would apply to these columns (a statement of ours needs every value)."""
    return [(n, table.c[n].default.arg) for n in names
            if table.c[n].default is not None and table.c[n].default.is_scalar]


def _let_cancelled_timers_go(s: Session, rows: InstanceRows) -> None:
    """The database deletes a timer row written cancelled (migration 0015): its object leaves the session."""
    for tid, timer in list(rows.timers.items()):
        if timer.status == "cancelled":
            del rows.timers[tid]
            if timer in s:
                s.expunge(timer)


_STATEMENTS: dict[tuple[type, str], Any] = {}


def _statement(cls: type, dialect: str) -> Any:
    """One INSERT … ON CONFLICT DO UPDATE per table and dialect, built once (so compiled once) and sent with
    every row as an executemany; with it the column names and the scalar defaults the ORM would apply."""
    if (cls, dialect) not in _STATEMENTS:
        table = inspect(cls).local_table
        stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        conflict = _CONFLICT[cls]
        names = [c.key for c in inspect(cls).column_attrs if c.key != "id" or cls is not Deadline]
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict), set_={
            n: stmt.excluded[n] for n in names if n != "id" and n not in conflict})
        if cls is Deadline:  # its id comes from the database
            stmt = stmt.returning(table.c.id, table.c.step)
        defaults = scalar_defaults(table, names)
        _STATEMENTS[cls, dialect] = (stmt, names, defaults)
    return _STATEMENTS[cls, dialect]


def _upsert(s: Session, cls: type, objs: list[Any]) -> None:
    dialect = s.get_bind().dialect
    stmt, names, defaults = _statement(cls, dialect.name)
    values = []
    for obj in objs:
        for name, default in defaults:  # what the ORM would have applied: an executemany needs every value
            if getattr(obj, name) is None:
                setattr(obj, name, default)
        values.append({n: getattr(obj, n) for n in names})
    if cls is Deadline:  # its ids come back from the database
        result = s.connection().execute(stmt, values)
        ids = {step: id_ for id_, step in result}
    else:  # tasks and timers, whose ids are known: nothing is needed back (engine/driver_sql.py)
        driver_sql.compiled(cls, lambda name: _statement(cls, name)[0], inspect(cls).local_table,
                            dialect).send(s.connection(), values)
        ids = {}
    for obj, row in zip(objs, values, strict=True):
        _settle(s, obj, ids[obj.step] if cls is Deadline else obj.id, row)


def _settle(s: Session, obj: Any, id_: Any, written: dict[str, Any]) -> None:
    """Make a just-written object persistent and unchanged in the session, holding what was written."""
    state = inspect(obj)
    if state.persistent:
        state._commit_all(state.dict, s.identity_map)  # as the flush leaves a row it wrote
        return
    relations = {r.key: obj.__dict__[r.key] for r in state.mapper.relationships if r.key in obj.__dict__}
    if not state.transient:
        s.expunge(obj)
        make_transient(obj)
    obj.id = id_
    for name, value in written.items():  # a column never set holds what was written, not "not loaded"
        state.dict.setdefault(name, value)
    make_transient_to_detached(obj)  # every attribute's history reset, as if just loaded
    s.add(obj)
    for name, value in relations.items():
        set_committed_value(obj, name, value)
