"""Declarative base, the flask-sqlalchemy handle and the column types every model shares."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import UserDefinedType

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _sql_literal(bound: Any) -> str:
    """A value as the types below bind it, written into SQL (a statement compiled with its values in place:
    the stored form differs from what the inner types would render)."""
    if bound is None:
        return "NULL"
    if isinstance(bound, int):
        return str(bound)
    if isinstance(bound, bytes):
        return f"X'{bound.hex()}'"
    text = bound.isoformat() if isinstance(bound, dt.datetime) else str(bound)
    return "'" + text.replace("'", "''") + "'"


class _SQLiteMoment(UserDefinedType[int]):
    """SQLite's storage of a moment: microseconds since 1970 UTC, an 8-byte integer in a DATETIME column
    (NUMERIC affinity keeps it an integer), in place of 26 characters of text."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "DATETIME"


def to_microseconds(value: dt.datetime) -> int:
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def from_microseconds(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware datetimes as UTC and gives them back aware: PostgreSQL as timestamptz, SQLite as integer
    microseconds since 1970 (migration 0016). On SQLite every moment must go through this type, so that they
    all compare as numbers: SQL that writes a moment as text (a raw INSERT, a migration's `sa.DateTime`)
    would sort it after every number."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteMoment())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(dt.UTC)
        return to_microseconds(value) if dialect.name == "sqlite" else value

    def literal_processor(self, dialect: Any) -> Any:
        return lambda value: _sql_literal(self.process_bind_param(value, dialect))

    def process_result_value(self, value: dt.datetime | int | str | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return from_microseconds(value)
        if isinstance(value, str):  # text a writer outside this type left (see the class docstring)
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class _SQLiteUUID(UserDefinedType[bytes]):
    """SQLite's storage of a UUID: its 16 bytes in the VARCHAR(36) column it had as text (TEXT affinity keeps a
    BLOB as it is), in place of 36 characters."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "VARCHAR(36)"


def _canonical_uuid(value: str) -> uuid.UUID | None:
    """The UUID whose canonical text (lower case, with hyphens: how SpiffWorkflow names tasks) is `value`."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return parsed if str(parsed) == value else None


class UUIDText(TypeDecorator[str]):
    """A UUID given and read as its canonical text: PostgreSQL's uuid (16 bytes), on SQLite its 16 bytes
    (migration 0017). Other text (an id a person typed into a URL, say) is no task's id: PostgreSQL, which
    could not take it as a uuid, looks it up as NULL; SQLite looks it up as the text it is."""

    impl = String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=False))
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteUUID())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: str | None, dialect: Any) -> str | bytes | None:
        if value is None or dialect.name not in ("postgresql", "sqlite"):
            return value
        parsed = _canonical_uuid(value)
        if dialect.name == "sqlite":
            return value if parsed is None else parsed.bytes
        return None if parsed is None else value

    def literal_processor(self, dialect: Any) -> Any:
        return lambda value: _sql_literal(self.process_bind_param(value, dialect))

    def process_result_value(self, value: str | bytes | None, dialect: Any) -> str | None:
        if isinstance(value, bytes):
            return str(uuid.UUID(bytes=value))
        return None if value is None else str(value)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING),
        type_annotation_map={dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON},
    )


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let readers and a writer work together, wait for locks briefly.
    synchronous=NORMAL under WAL syncs at checkpoints, not at every commit: the database never corrupts,
    but a power cut (not a crash of the process) can lose the last commits before it (README, Performance)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
