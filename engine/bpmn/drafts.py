"""Process drafts: an owner's unfinished edit of a process, kept in the database in the deployment's shape."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.definitions import Bundle
from models import ProcessDraft


def as_dict(row: ProcessDraft) -> dict[str, Any]:
    return {"key": row.key, "bpmn": dict(row.bundle.get("bpmn", {})), "forms": dict(row.bundle.get("forms", {})),
            "comment": row.bundle.get("comment"), "base_version": row.base_version, "saved_by": row.saved_by,
            "saved_at": row.saved_at}


def find(s: Session, key: str) -> ProcessDraft | None:
    return s.scalar(select(ProcessDraft).where(ProcessDraft.key == key))


def save(s: Session, key: str, bundle: Bundle, comment: str | None, base_version: int | None, actor: str,
         now: dt.datetime) -> ProcessDraft:
    """One draft per process: saving replaces what was there (the last owner to save wins, and is named)."""
    row = find(s, key) or ProcessDraft(key=key)
    # A new dict, not an edit in place: the JSON column only notices a new value.
    row.bundle = {"bpmn": dict(bundle.bpmn), "forms": dict(bundle.forms), "comment": comment}
    row.base_version, row.saved_by, row.saved_at = base_version, actor, now
    s.add(row)
    s.flush()
    return row


def discard(s: Session, key: str) -> bool:
    row = find(s, key)
    if row is None:
        return False
    s.delete(row)
    s.flush()
    return True
