"""Whether the database's schema is the one this code was written for (its Alembic revision is the head).

The processes that do the work — the in-process server with its scheduler, the scheduler on its own — refuse
to start on a database that was not migrated (a backup restored from an older version, a service started
before `db upgrade`): several columns changed their stored form (moments on SQLite, ids), and old rows read
with new code would compare wrongly without any error.
"""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine

from models import db


def schema_problem(app: Flask, url: str | None = None) -> str | None:
    """Why the app's database (or the one at `url`) cannot be used by this code as it stands, or None when
    its schema is the head."""
    config = app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    engine = db.engine if url is None else create_engine(url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        if url is not None:
            engine.dispose()
    if current == heads:
        return None
    found = ", ".join(sorted(current)) or "none (an empty database)"
    return (f"the database's schema is at revision {found}, this version needs {', '.join(sorted(heads))}: "
            "run `complaint-desk db upgrade` first")
