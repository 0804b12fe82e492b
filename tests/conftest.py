"""Fixtures: an app on SQLite (default) or on PostgreSQL (TEST_DATABASE_URL), the engine, an API client."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url

from engine import Actor, AppealInput, ProcessEngine
from models import Base, db
from web.app import create_app
from web.config import TestingConfig
from web.demo import seed_directory

TRANSLATIONS = Path(__file__).resolve().parents[1] / "web/translations"


def compile_catalogs(directory: Path) -> None:
    """Compile the catalogues with `pybabel compile`, exactly as `make setup`/`make run` do."""
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "compile", "-d", str(directory)], check=True, capture_output=True)
    if (directory / "ru/LC_MESSAGES/engine.po").exists():
        subprocess.run([str(pybabel), "compile", "-d", str(directory), "-D", "engine"], check=True,
                       capture_output=True)


@pytest.fixture(scope="session", autouse=True)
def _catalogs() -> None:
    """Build the catalogues the way `make run` does when one is older than its source, and stop the run when
    that build skips the English one (pybabel silently skips a catalogue marked fuzzy, which left the English
    switch doing nothing). Catalogues `make test` has just built are left as they are: its SQLite and PostgreSQL
    suites run side by side, and one must not load a catalogue while the other rewrites it."""
    if any(not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
           for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        compile_catalogs(TRANSLATIONS)
    po = TRANSLATIONS / "en/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        pytest.exit(f"`pybabel compile` did not build {mo}: is the catalogue marked fuzzy?", returncode=3)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'complaint_desk_test.sqlite'}"


@contextmanager
def empty_database(database_url: str, folder: Path, suffix: str) -> Iterator[str]:
    """An empty database of the same kind as the one under test: a SQLite file in `folder`, or a PostgreSQL
    database named after the test database with `suffix`, dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / f'{suffix}.sqlite'}"
        return
    name = f"{url.database}_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture
def fresh_database(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the kind under test, named after the test module, dropped afterwards."""
    with empty_database(database_url, tmp_path, request.module.__name__.rsplit(".", 1)[-1]) as url:
        yield url


@contextmanager
def migrated_to(url: str, revision: str) -> Iterator[Engine]:
    """The database at `url` migrated up to `revision` by an app of its own (whose context stays open for
    further upgrades and downgrades), and a plain engine on it for writing rows as that revision stored them."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    with create_app(Config).app_context():
        upgrade(directory=str(MIGRATIONS), revision=revision)
        other = create_engine(url)
        try:
            yield other
        finally:
            other.dispose()


@pytest.fixture(scope="session")
def config(database_url: str) -> type[TestingConfig]:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    return Config


@pytest.fixture(scope="session")
def _schema(config: type[TestingConfig]) -> None:
    """Build the schema once per run through the real migrations."""
    app = create_app(config)
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


def _truncate() -> None:
    """Empty every table between tests and start their ids at 1 again. The history tables refuse deletes
    (migration 0010): PostgreSQL skips its triggers for this transaction as a replica would; on SQLite, which
    cannot switch triggers off, they are dropped and made again from their own SQL. On PostgreSQL the rows
    are deleted rather than truncated: TRUNCATE gives each of the ~45 tables new files, 0.6-0.9 s a test, where
    deleting the few rows a test leaves takes well under 0.1 s."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                              "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for _name, sql in triggers:
                conn.execute(text(sql))


@pytest.fixture
def app(_schema: None, config: type[TestingConfig]) -> Iterator[Flask]:
    app = create_app(config)
    with app.app_context():
        _truncate()
        yield app
        db.session.remove()


@pytest.fixture
def engine(app: Flask) -> ProcessEngine:
    desk: ProcessEngine = app.extensions["complaint_engine"]
    seed_directory(desk)
    desk.deploy_processes(Actor.system())
    return desk


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def token(engine: ProcessEngine) -> str:
    _client, secret = engine.create_api_client("test-channel", [], None)
    return secret


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def complaint_input(**overrides: Any) -> AppealInput:
    values: dict[str, Any] = dict(
        type="complaint", channel="phone", subject="Долго загружается программа",
        text="Клиент ждёт загрузки базы по 3-4 минуты.", counterparty_name="РРМОО", inn="6165456519",
        contact_name="Лоськова Галина Николаевна", contact_phone="(951) 511-35-23", department="ДКС",
    )
    values.update(overrides)
    return AppealInput(**values)


@pytest.fixture
def register(engine: ProcessEngine) -> Any:
    def _register(**overrides: Any) -> str:
        _appeal, complaint = engine.register_appeal(complaint_input(**overrides), Actor("operator"))
        assert complaint is not None and complaint.number
        return complaint.number

    return _register


def history_events(*kinds: str, instance_id: int | None = None) -> list[Any]:
    """History events with their data opened, as the engine reads them (event data is stored sealed),
    oldest first; only these kinds and this instance when given."""
    from engine.history.vault import opened_events
    from models import ProcessInstance

    ids = [instance_id] if instance_id is not None else db.session.scalars(select(ProcessInstance.id))
    return sorted(opened_events(db.session, ids, kinds or None), key=lambda e: e.id)


def history_tables(conn: Any, deployed_at: Any) -> tuple[Any, Any]:
    """The instance and event tables as an older schema has them (reflected), with definition 1 in place."""
    import sqlalchemy as sa

    meta = sa.MetaData()
    definition = sa.Table("process_definition", meta, autoload_with=conn)
    conn.execute(definition.insert().values(id=1, key="complaint", version=1, name="Претензия", sha256="0" * 64,
                                            spec_json="{}", sources={}, deployed_at=deployed_at, deployed_by="cli"))
    return (sa.Table("process_instance", meta, autoload_with=conn),
            sa.Table("instance_event", meta, autoload_with=conn))


def side_by_side(app: Flask, work: Any, count: int = 2) -> list[BaseException]:
    """Run `work()` in `count` threads at once, each in its own application context (and so its own session),
    as several processes would; returns what they raised."""
    import threading

    errors: list[BaseException] = []

    def runner() -> None:
        with app.app_context():
            try:
                work()
            except BaseException as err:
                errors.append(err)

    threads = [threading.Thread(target=runner) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def race(app: Flask, count: int, request: Any) -> list[Any]:
    """Run `request(client, i)` from `count` threads released together, each with its own test client
    (and so its own session); returns what each returned, in finishing order."""
    import threading

    db.session.commit()
    barrier, results = threading.Barrier(count), []

    def runner(i: int) -> None:
        with app.test_client() as own:
            barrier.wait()
            results.append(request(own, i))

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    return results
