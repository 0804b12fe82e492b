"""The record of exports of client data: one row per download, written in the exporting transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.people.actor import Actor
from models import DataExport


def note(s: Session, actor: Actor, what: str, fmt: str, filters: Mapping[str, Any], rows: int,
         now: dt.datetime) -> DataExport:
    """Who exported what (with the filters as typed, never the rows), when, and how many rows."""
    row = DataExport(at=now, actor=actor.name, actor_user_id=actor.user_id, what=what, format=fmt,
                     filters={k: str(v) for k, v in filters.items() if v not in (None, "")}, rows=rows)
    s.add(row)
    return row
