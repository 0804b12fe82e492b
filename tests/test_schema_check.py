"""The server and the scheduler refuse to start on a database whose schema is not this version's head (a
backup restored from an older version, a service started before `db upgrade`), naming what to run."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from models import db
from web.app import create_app
from web.schema import schema_problem


@pytest.fixture
def behind(app: Flask) -> Iterator[str]:
    """The database marked as one revision behind the head, for the test's length."""
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '0016'"))
    db.session.commit()
    try:
        yield head
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()


def test_a_migrated_database_is_current(app: Flask) -> None:
    assert schema_problem(app) is None


@pytest.mark.parametrize("command", [["scheduler"], ["serve", "--port", "1"]])
def test_the_server_and_the_scheduler_refuse_a_database_not_migrated(app: Flask, config: Any, behind: str,
                                                                      command: list[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def started(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("started on a database that was not migrated")

    monkeypatch.setattr("web.scheduling.build_scheduler", started)
    monkeypatch.setattr("werkzeug.serving.run_simple", started)
    fresh = create_app(config)  # its commands take the patched starters
    problem = schema_problem(fresh)
    assert problem is not None and "0016" in problem and behind in problem
    result = fresh.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0 and result.exception is not None
    assert not isinstance(result.exception, AssertionError)
    assert "Not starting" in result.output and "complaint-desk db upgrade" in result.output
