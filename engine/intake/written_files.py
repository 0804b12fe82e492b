"""Files written inside a transaction are removed when it rolls back, so no file is left without its row."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

KEY = "written_files"


def remember(session: Session, path: Path) -> None:
    """Note a file before writing it: if the transaction does not commit, the file goes."""
    session.info.setdefault(KEY, []).append(path)


def _forget(session: Session) -> None:
    session.info.pop(KEY, None)


def _remove(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.nested:  # a savepoint's rollback leaves the outer transaction's files
        return
    for path in session.info.pop(KEY, []):
        path.unlink(missing_ok=True)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_commit", _forget):
        event.listen(Session, "after_commit", _forget)
        event.listen(Session, "after_soft_rollback", _remove)
