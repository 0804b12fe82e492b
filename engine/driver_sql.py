"""Statements sent straight to the database driver: compiled once per dialect, each row's values converted by
the columns' own types, as Core would convert them.

For the writes a step makes every time with rows it already holds (its task and timer upserts, its history
events): the statement machinery Core goes through at each execution (caching keys, parameter processing,
result set-up) costs more than the statement itself, and nothing is needed back from the database.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class DriverStatement:
    sql: str
    params: list[tuple[str, Callable[[Any], Any] | None]]  # each parameter with its column type's conversion
    positional: bool

    def send(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        """Run the statement once per row (one executemany)."""
        converted = [[row[name] if convert is None else convert(row[name]) for name, convert in self.params]
                     for row in rows]
        names = [name for name, _ in self.params]
        connection.exec_driver_sql(self.sql, [tuple(c) for c in converted] if self.positional else
                                   [dict(zip(names, c, strict=True)) for c in converted])


# Per dialect object (an engine's own: two engines of one dialect may convert differently, a PostgreSQL one
# without native UUIDs say), then per statement.
_COMPILED: weakref.WeakKeyDictionary[Any, dict[Any, DriverStatement]] = weakref.WeakKeyDictionary()


def compiled(key: Any, build: Callable[[str], Any], table: Table, dialect: Any) -> DriverStatement:
    """The statement `build(dialect name)` writing `table`, compiled for `dialect` once under `key`."""
    known = _COMPILED.get(dialect)
    if known is None:
        known = _COMPILED[dialect] = {}
    found = known.get(key)
    if found is None:
        done = build(dialect.name).compile(dialect=dialect)
        order = list(done.positiontup) if done.positional else list(done.binds)
        params = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in order]
        found = known[key] = DriverStatement(str(done), params, done.positional)
    return found
