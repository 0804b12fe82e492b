"""Statements sent to the driver are compiled per engine's dialect: two engines of one database kind that
convert a column differently each get their own conversion."""
from __future__ import annotations

import uuid

from sqlalchemy import Column, MetaData, Table, Uuid, create_engine, insert, select

from engine import driver_sql


def test_each_engine_gets_the_conversion_of_its_own_dialect(tmp_path) -> None:
    table = Table("thing", MetaData(), Column("id", Uuid(as_uuid=False), primary_key=True))
    value = str(uuid.uuid4())
    stored = []
    for name, native in (("a", True), ("b", False)):
        db = create_engine(f"sqlite:///{tmp_path}/{name}.sqlite")
        db.dialect.supports_native_uuid = native  # as two PostgreSQL engines with and without native UUIDs
        table.metadata.create_all(db)
        statement = driver_sql.compiled("thing", lambda _name: insert(table), table, db.dialect)
        with db.begin() as conn:
            statement.send(conn, [{"id": value}])
            stored.append(conn.exec_driver_sql("SELECT typeof(id), length(id) FROM thing").one())
            assert conn.scalar(select(table.c.id)) == value
        db.dispose()
    assert stored[0] != stored[1], stored  # each as its own dialect converts a UUID
