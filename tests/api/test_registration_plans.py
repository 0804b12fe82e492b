"""A registration finds the client's earlier rows through indexes, whatever the tables hold: none of the
statements it sends reads a whole table (SQLite's query plans; the intake channels register all day long,
and a scan grows with every appeal ever registered)."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from models import db
from tests.api.test_appeals import post

TABLES = ("appeal", "complaint", "contact", "counterparty")


def _scans(sql: str, params: Any) -> list[str]:
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    return [row[-1] for row in plan if row[-1].startswith("SCAN ") and row[-1].split()[1] in TABLES]


@pytest.mark.parametrize("client_of", [
    {"counterparty": {"name": "РРМОО", "inn": "6165456519"}, "contact": {"name": "Лоськова Г. Н."}},
    {"counterparty": {"name": "ИП Без ИНН"}, "contact": {"name": "Петров П. П."}},
])
def test_no_statement_of_a_registration_scans_a_client_table(client: FlaskClient, auth: dict[str, str],
                                                              client_of: dict[str, Any]) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plans read are SQLite's; PostgreSQL's planner scans small tables by choice")
    post(client, auth, **client_of)  # the client is known at the second registration: its rows are looked up
    sent: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        answer = post(client, auth, **client_of)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert answer.status_code == 201 and answer.get_json()["previous_appeals"]
    assert [s for s in sent if " appeal" in s[0] or " contact" in s[0]], "the client's rows were not read"
    scans = [f"{' '.join(sql.split())} -> {found}" for sql, params in sent if (found := _scans(sql, params))]
    assert scans == []
