"""`complaint-desk backup` and `restore`: a backup restored into a fresh database holds the same complaints,
tasks and timers (SQLite in the default run, PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select, text

from engine import Actor, ProcessEngine
from models import Complaint, Task, Timer, db
from tests.engine.test_paths import ACCEPT


def _contents(read: Any) -> dict[str, list[tuple]]:
    return {
        "complaints": sorted(read(select(Complaint.number, Complaint.stage1_status, Complaint.registered_at))),
        "tasks": sorted(read(select(Task.business_key, Task.step, Task.status, Task.assignee_id))),
        "timers": sorted(read(select(Timer.id, Timer.business_key, Timer.bpmn_id, Timer.due_at, Timer.status))),
    }


def test_backup_restored_into_a_fresh_database_has_the_same_complaints_tasks_and_timers(
        app: Flask, engine: ProcessEngine, register, fresh_database: str, tmp_path: Path) -> None:
    first, second = register(), register(subject="Не печатается счёт")
    [task] = db.session.scalars(select(Task).where(Task.business_key == first, Task.status == "open"))
    engine.complete_task(task.id, ACCEPT, Actor("tester"))
    db.session.commit()
    before = _contents(lambda query: [tuple(row) for row in db.session.execute(query)])
    assert {c[0] for c in before["complaints"]} == {first, second}
    assert len(before["tasks"]) >= 3 and len(before["timers"]) >= 2

    runner = app.test_cli_runner()
    archive = tmp_path / "desk.backup"
    made = runner.invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert archive.stat().st_size > 0
    restored = runner.invoke(args=["restore", str(archive), "--database-url", fresh_database, "--yes"])
    assert restored.exit_code == 0, restored.output

    other = create_engine(fresh_database)
    with other.connect() as conn:
        after = _contents(lambda query: [tuple(row) for row in conn.execute(query)])
        version = conn.scalar(text("SELECT version_num FROM alembic_version"))
    other.dispose()
    assert after == before
    assert version == db.session.scalar(text("SELECT version_num FROM alembic_version"))


def test_restore_refuses_a_file_that_is_not_a_backup(app: Flask, fresh_database: str, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    refused = app.test_cli_runner().invoke(args=["restore", str(junk), "--database-url", fresh_database, "--yes"])
    assert refused.exit_code != 0 and "is not a" in refused.output


def test_a_backup_of_an_older_schema_is_restored_with_a_note_to_upgrade(app: Flask, fresh_database: str,
                                                                        tmp_path: Path) -> None:
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '0016'"))  # as an older version left it
    db.session.commit()
    runner = app.test_cli_runner()
    try:
        made = runner.invoke(args=["backup", str(tmp_path / "older.backup")])
        assert made.exit_code == 0, made.output
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    restored = runner.invoke(args=["restore", str(tmp_path / "older.backup"), "--database-url", fresh_database,
                                   "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "revision 0016" in restored.output and "complaint-desk db upgrade" in restored.output
    made = runner.invoke(args=["backup", str(tmp_path / "current.backup")])
    current = runner.invoke(args=["restore", str(tmp_path / "current.backup"), "--database-url", fresh_database,
                                  "--yes"])
    assert made.exit_code == 0 and current.exit_code == 0 and "note:" not in current.output
