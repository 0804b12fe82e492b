"""Rows a use case wrote, handed back after COMMIT as they were written, instead of read again.

COMMIT expires every object of the session, so the first look at a registered appeal's number would
SELECT the appeal again (and its complaint), though the use case wrote every one of those columns itself
through the ORM a moment before. `remember` notes their loaded columns before COMMIT, `restore` puts them
back as committed values after it. Relationships and anything not loaded stay expired (read on demand)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value

Written = list[tuple[Any, dict[str, Any]]]


def remember(*rows: Any) -> Written:
    noted = []
    for row in rows:
        if row is None:
            continue
        state = inspect(row)
        columns = {a.key for a in state.mapper.column_attrs}
        noted.append((row, {k: _as_read(v) for k, v in state.dict.items() if k in columns}))
    return noted


def restore(noted: Written) -> None:
    for row, values in noted:
        for key, value in values.items():
            set_committed_value(row, key, value)


def _as_read(value: Any) -> Any:
    # Datetimes come back from the database in UTC (models.base.UTCDateTime): give them the same way.
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) and value.tzinfo else value
