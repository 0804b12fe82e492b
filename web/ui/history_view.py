"""The complaint's history as a document: form data under the form's titles, in words, local time, small tables."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from engine.history.vault import OpenedEvent
from models import Task
from web.queries import engine
from web.ui.formatting import label, local_time

ATTACHMENT = "attachment:"


@dataclass
class Entry:
    """One field of a form as read on the card: a text, a table of repeated rows, or a file link."""

    title: str
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    link: tuple[int, str] | None = None


@dataclass
class HistoryRow:
    event: OpenedEvent
    task: str  # "1.3 Выработать коррекцию…" in the page's language, or ""
    entries: list[Entry]


def _moment(value: str) -> str:
    try:
        return local_time(dt.datetime.fromisoformat(value))
    except ValueError:
        return value


def _day(value: str) -> str:
    try:
        return dt.date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return value


def shown(prop: dict[str, Any], value: Any) -> str:
    """A single value as people read it: yes/no, the choice's title, a Russian-format date in company time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(label(value))
    if "enum" in prop and value in prop["enum"]:
        titles = prop.get("x-labels") or prop["enum"]
        return gettext(titles[prop["enum"].index(value)])
    if prop.get("format") == "date-time" and isinstance(value, str):
        return _moment(value)
    if prop.get("format") == "date" and isinstance(value, str):
        return _day(value)
    return str(value)


def _attachment(value: Any, files: dict[int, str]) -> tuple[int, str] | None:
    if isinstance(value, str) and value.startswith(ATTACHMENT) and value[len(ATTACHMENT):].isdigit():
        found = int(value[len(ATTACHMENT):])
        return found, files.get(found, value)
    return None


def form_entries(schema: dict[str, Any] | None, form: dict[str, Any], files: dict[int, str]) -> list[Entry]:
    """The submitted form in the order of its schema; fields the schema does not know keep their name."""
    props = (schema or {}).get("properties", {})
    entries = []
    for name in [*props, *(k for k in form if k not in props)]:
        if name not in form:
            continue
        prop, value = props.get(name, {}), form[name]
        title = gettext(prop["title"]) if "title" in prop else name
        if link := _attachment(value, files):
            entries.append(Entry(title, link=link))
        elif isinstance(value, list) and isinstance(prop.get("items"), dict):
            columns = prop["items"].get("properties", {})
            used = [c for c in columns if any(isinstance(r, dict) and c in r for r in value)]
            entries.append(Entry(title, columns=[gettext(columns[c].get("title", c)) for c in used],
                                 rows=[[shown(columns[c], r.get(c)) for c in used] for r in value
                                       if isinstance(r, dict)]))
        else:
            entries.append(Entry(title, text=shown(prop, value)))
    return entries


def _task_title(task: Task | None, event: OpenedEvent) -> str:
    if task is None:
        return event.bpmn_id or "" if event.task_id else ""
    return f"{task.step} {gettext(task.name)}" if task.step else gettext(task.name)


def history_rows(events: list[OpenedEvent], tasks: dict[str, Task], files: dict[int, str]) -> list[HistoryRow]:
    schemas: dict[str, dict[str, Any] | None] = {}
    rows = []
    for e in events:
        task = tasks.get(e.task_id) if e.task_id else None
        entries: list[Entry] = []
        if e.data is not None and isinstance(e.data.get("form"), dict):
            if task is not None and task.id not in schemas:
                schemas[task.id] = engine().form_schema(task)
            entries = form_entries(schemas.get(task.id) if task else None, e.data["form"], files)
        rows.append(HistoryRow(e, _task_title(task, e), entries))
    return rows
