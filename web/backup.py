"""Backups of the whole database: pg_dump/pg_restore for PostgreSQL, the sqlite3 backup API for SQLite."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done, with a message for the operator."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has nothing to back up or restore into.")
    return Path(url.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """The backup API copies a consistent snapshot even while the app writes (WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq address for the pg_* tools; the password goes in the environment, never on the command line."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools of the server's version.")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip() or done.returncode}")


def backup(database_url: str, file: Path) -> None:
    """Write the whole database to `file`: a SQLite database file, or a pg_dump custom-format archive."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(_sqlite_path(url), file)
    elif url.get_backend_name() == "postgresql":
        address, env = _libpq(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(file), "--dbname", address], env)
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} are not supported.")


def _check_kind(file: Path, magic: bytes, kind: str) -> None:
    if not file.is_file():
        raise BackupError(f"{file} does not exist.")
    with file.open("rb") as handle:
        if handle.read(len(magic)) != magic:
            raise BackupError(f"{file} is not {kind}.")


def restore(database_url: str, file: Path) -> None:
    """Replace the whole database with the backup in `file` (made by `backup` for the same kind of database)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _check_kind(file, SQLITE_MAGIC, "a SQLite backup")
        _copy_sqlite(file, _sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        _check_kind(file, PG_DUMP_MAGIC, "a pg_dump archive")
        address, env = _libpq(url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "--dbname", address, str(file)], env)
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} are not supported.")
