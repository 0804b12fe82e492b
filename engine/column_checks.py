"""Every row is checked against its columns before it is flushed, so bad values become field messages.

PostgreSQL refuses text with NUL, strings longer than String(N), integers beyond the column and
unencodable text (lone surrogates) with a DataError at commit time; SQLite stores most of them
silently. Checking each new or changed row here, in one place, turns all of them into `InvalidInput`
on both databases, whichever use case (today's or tomorrow's) wrote the row.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, Integer, SmallInteger, String, TypeDecorator, event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE

from engine.errors import InvalidInput
from engine.messages import Message

# C0 controls other than tab, line feed and carriage return, DEL, and UTF-16 halves that stand alone.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
INT_RANGES = {SmallInteger: 2**15, BigInteger: 2**63, Integer: 2**31}
EARLIEST, LATEST = 1900, 2200


def text_problem(value: str, max_length: int | None = None, typed: bool = False) -> str | None:
    """The message for a string no column can hold, or None. `typed` is for what a person or a client sent
    just now: there U+FFFD is what invalid UTF-8 (e.g. a lone surrogate's bytes) became while the form was
    decoded, so it is refused too; text from mail keeps its replacement characters."""
    if FORBIDDEN.search(value) or (typed and "\ufffd" in value):
        return Message("Contains control characters or invalid characters.")
    if max_length is not None and len(value) > max_length:
        return Message("Longer than {limit} characters.", limit=max_length)
    return None


def json_problem(value: Any, depth: int = 0, typed: bool = False) -> str | None:
    """JSON columns (jsonb on PostgreSQL) refuse NUL and lone surrogates in any nested string."""
    if depth > 64:
        return Message("Nested too deeply.")
    if isinstance(value, str):
        return text_problem(value, typed=typed)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = (text_problem(key, typed=typed) if isinstance(key, str) else None) or \
            json_problem(item, depth + 1, typed)
        if found:
            return found
    return None


def _int_limit(column_type: Any) -> int | None:
    for kind, limit in INT_RANGES.items():
        if isinstance(column_type, kind):
            return limit
    return None


def value_problem(column_type: Any, value: Any, typed: bool = False) -> str | None:
    """Why this value cannot be written to a column of this type, or None."""
    if value is None:
        return None
    if isinstance(column_type, TypeDecorator):  # e.g. the UTC-normalising DateTime of the models
        column_type = column_type.impl_instance
    if isinstance(column_type, String) and isinstance(value, str):
        return text_problem(value, column_type.length, typed)
    if isinstance(column_type, JSON):
        return json_problem(value, typed=typed)
    if isinstance(value, int) and not isinstance(value, bool) and (limit := _int_limit(column_type)):
        return None if -limit <= value < limit else Message("The number is out of range.")
    if isinstance(column_type, (Date, DateTime)) and isinstance(value, dt.date):
        return None if EARLIEST <= value.year <= LATEST else \
            Message("Give a date between {first} and {last}.", first=EARLIEST, last=LATEST)
    return None


# Set in a session's `info` while it serves input in which invalid UTF-8 became U+FFFD: then no row may
# take that character from it (see `text_problem`'s `typed`), whichever use case the input reached.
TYPED_REPLACEMENTS = "typed_replacements"


def row_problems(row: Any, typed: bool = False) -> dict[str, list[str]]:
    """Field messages for the changed columns of one row, keyed by attribute name."""
    state = inspect(row)
    problems: dict[str, list[str]] = {}
    for attr in state.mapper.column_attrs:
        # Straight from the state: `state.attrs` would build an accessor for every attribute of every row.
        history = state.get_history(attr.key, PASSIVE_NO_INITIALIZE)
        if not history.added:
            continue
        for column in attr.columns:
            if message := value_problem(column.type, history.added[0], typed):
                problems.setdefault(attr.key, []).append(message)
    return problems


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    check_rows(session, (*session.new, *session.dirty))


def check_rows(session: Session, rows: Any) -> None:
    """Refuse rows about to be written with values the database cannot store (the flush check, for rows
    written without a flush)."""
    problems: dict[str, list[str]] = {}
    typed = bool(session.info.get(TYPED_REPLACEMENTS))
    for row in rows:
        for name, messages in row_problems(row, typed).items():
            problems.setdefault(name, []).extend(m for m in messages if m not in problems.get(name, []))
    if problems:
        raise InvalidInput("The input has values that cannot be stored.", problems)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


def input_problems(values: dict[str, tuple[Any, Any]]) -> dict[str, list[str]]:
    """Field messages for input bound for known columns: {field: (value, Model.attribute)}.

    Use cases check their input with this before they build rows, so the message names the field the
    person filled; the flush check above stays as the net for anything a use case did not name."""
    problems: dict[str, list[str]] = {}
    for name, (value, attribute) in values.items():
        if message := value_problem(attribute.property.columns[0].type, value, typed=True):
            problems[name] = [message]
    return problems


def nested_problems(value: Any, path: str = "") -> dict[str, list[str]]:
    """Field messages for strings anywhere in form data (stored as JSON), keyed by dotted path."""
    if isinstance(value, str):
        return {path or "_body": [m]} if (m := text_problem(value, typed=True)) else {}
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    problems: dict[str, list[str]] = {}
    for key, item in items:
        problems.update(nested_problems(item, f"{path}.{key}" if path else str(key)))
    return problems
