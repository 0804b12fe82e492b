"""Rows written by the engine itself rather than by the ORM's flush, with the flush's guarantees kept.

At the commit of a step the session holds the changed instance row (and, some steps, the complaint): the ORM's
flush would write them with the same statements but spends more working out its unit of work than the
statements cost. A new instance's row is needed at once (the history and the projections name it) and goes in
with one INSERT … RETURNING. Both leave the session as the flush would: the written rows clean, a new row gone
again if the transaction rolls back. `tests/engine/test_direct_writes.py` holds the stored forms and the
session's state; the statement budgets are held by `tests/engine/test_statement_counts.py`.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, update
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from engine import column_checks
from engine.bpmn import rows
from engine.history import writer as history
from models import ProcessInstance

INSERTED = "instances_inserted"


def write_changed(s: Session) -> None:
    """Before the commit: the changed rows the session still holds, each in one UPDATE of its changed columns.

    The ORM's flush would write the same statements (a step changes the instance row, sometimes the
    complaint) but spends more on working out its unit of work than the statements cost. A row whose change
    is not plain column values (a relationship set, say) and any new or deleted row are left to the flush,
    as is everything when the session holds such rows. Versioned rows (the instance's revision) are updated
    only at the revision read, as the flush does, and a lost race raises what the flush raises."""
    history.settle(s)
    if s.new or s.deleted:
        return
    changes = []
    # In one order whatever the session's: table, then key (two writers then take the rows' locks alike).
    for obj in sorted(s.dirty, key=lambda o: (inspect(o).mapper.local_table.name, str(inspect(o).identity))):
        state = inspect(obj)
        if not state.persistent or any(k not in state.mapper.column_attrs for k in state.committed_state):
            return
        changes.append((obj, state, rows.changed_values(state)))
    column_checks.check_rows(s, [obj for obj, _state, values in changes if values])
    connection = s.connection()
    for obj, state, values in changes:
        if values:  # else touched, not changed (a row the projections settled): nothing to write
            _update_row(connection, obj, state, values)
        state._commit_all(state.dict, s.identity_map)  # as the flush leaves a row it wrote


_UPDATES: dict[tuple[Any, ...], Any] = {}


def _update_row(connection: Any, obj: Any, state: Any, values: dict[str, Any]) -> None:
    mapper = state.mapper
    table, version = mapper.local_table, mapper.version_id_col
    [pk] = mapper.primary_key
    params = {f"new_{k}": v for k, v in values.items()}
    params["row_pk"] = mapper.primary_key_from_instance(obj)[0]
    if version is not None:
        revision = state.dict[mapper.get_property_by_column(version).key]
        params["row_revision"], params[f"new_{version.key}"] = revision, revision + 1
        values[version.key] = revision + 1
    shape = (table.name, *sorted(values))
    if shape not in _UPDATES:  # one statement per table and set of columns, compiled once
        stmt = update(table).where(pk == bindparam("row_pk"))
        if version is not None:
            stmt = stmt.where(version == bindparam("row_revision"))
        _UPDATES[shape] = stmt.values({k: bindparam(f"new_{k}") for k in values})
    if connection.execute(_UPDATES[shape], params).rowcount != 1:
        raise StaleDataError(f"{table.name} {params['row_pk']} was changed meanwhile")
    state.dict.update(values)


def insert_instance(s: Session, instance: ProcessInstance) -> ProcessInstance:
    """Insert a new instance row at once (its id names it in the history and the projections) with one
    INSERT … RETURNING, and leave it persistent in the session at its first revision: the ORM's flush of the
    one row would cost several times the statement."""
    column_checks.check_rows(s, [instance])
    table = inspect(ProcessInstance).local_table
    values = {c.key: getattr(instance, c.key) for c in inspect(ProcessInstance).column_attrs if c.key != "id"}
    for name, default in rows.scalar_defaults(table, list(values)):
        if values[name] is None:
            values[name] = default
    values["revision"] = 1  # what the version counter starts at
    instance.id = s.connection().execute(insert(table).returning(table.c.id), values).scalar_one()
    for name, value in values.items():
        inspect(instance).dict[name] = value
    make_transient_to_detached(instance)
    s.add(instance)
    # The session did not see it inserted: should this transaction roll back, it must leave as a new row would.
    s.info.setdefault(INSERTED, []).append(instance)
    return instance


def _forget_inserted(session: Session, _previous: Any = None) -> None:
    for instance in session.info.pop(INSERTED, []):
        if instance in session:
            session.expunge(instance)
        make_transient(instance)


def _inserted_stay(session: Session) -> None:
    session.info.pop(INSERTED, None)


def install() -> None:
    """Listen on every session (idempotent): instances inserted by `insert_instance` leave on a rollback."""
    for name, listener in (("after_soft_rollback", _forget_inserted), ("after_commit", _inserted_stay)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
