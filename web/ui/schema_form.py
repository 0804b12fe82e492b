"""JSON-Schema forms as HTML fields, and submitted HTML form data back into typed JSON for validation."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Field:
    name: str
    title: str
    kind: str  # text, textarea, select, boolean, date, datetime, number, file, rows
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    columns: list[Field] = field(default_factory=list)


def _kind(prop: dict[str, Any]) -> str:
    if prop.get("type") == "array":
        return "rows"
    if prop.get("type") == "boolean":
        return "boolean"
    if prop.get("type") in ("number", "integer"):
        return "number"
    if prop.get("x-widget") == "file":
        return "file"
    if "enum" in prop or "x-source" in prop:
        return "select"
    return {"date": "date", "date-time": "datetime"}.get(prop.get("format", ""), "textarea"
                                                          if prop.get("x-widget") == "textarea" else "text")


def fields_of(schema: dict[str, Any], sources: dict[str, list[tuple[str, str]]]) -> list[Field]:
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        options = list(zip(prop.get("enum", []), prop.get("x-labels", prop.get("enum", [])), strict=False))
        if "x-source" in prop:
            options = sources.get(prop["x-source"], [])
        columns = fields_of(prop["items"], sources) if kind == "rows" else []
        out.append(Field(name, prop.get("title", name), kind, name in required, options, columns))
    return out


def values_for_display(schema: dict[str, Any], data: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Typed task data to the flat string values the inputs show."""
    flat: dict[str, Any] = {}
    for f in fields_of(schema, {}):
        value = data.get(f.name)
        if f.kind == "rows" and isinstance(value, list):
            for i, row in enumerate(value):
                for col in f.columns:
                    if isinstance(row, dict) and row.get(col.name) is not None:
                        flat[f"{f.name}-{i}-{col.name}"] = _shown(col, row[col.name], tz)
        elif value is not None:
            flat[f.name] = _shown(f, value, tz)
    return flat


def _shown(f: Field, value: Any, tz: ZoneInfo) -> str:
    if f.kind == "boolean":
        return "true" if value else "false"
    if f.kind == "datetime" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            return value
    return str(value)


def _typed(f: Field, raw: str, tz: ZoneInfo) -> Any:
    if f.kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if f.kind == "number":
        try:
            return float(raw) if "." in raw else int(raw)
        except ValueError:
            return raw
    if f.kind == "datetime":
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            return raw
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()
    return raw


def parse(schema: dict[str, Any], form: Any, tz: ZoneInfo) -> dict[str, Any]:
    """Blank inputs are left out, so that the schema reports a missing required field by name."""
    data: dict[str, Any] = {}
    for f in fields_of(schema, {}):
        if f.kind == "rows":
            indices = sorted({int(m.group(1)) for key in form for m in [re.match(rf"^{f.name}-(\d+)-", key)] if m})
            rows = []
            for i in indices:
                row = {c.name: _typed(c, form.get(f"{f.name}-{i}-{c.name}", "").strip(), tz) for c in f.columns
                       if form.get(f"{f.name}-{i}-{c.name}", "").strip()}
                if row:
                    rows.append(row)
            if rows or f.required:
                data[f.name] = rows
            continue
        if f.kind == "file":
            continue
        raw = (form.get(f.name) or "").strip()
        if raw:
            data[f.name] = _typed(f, raw, tz)
    return data


def uploads(schema: dict[str, Any], files: Any) -> dict[str, tuple[str, str, bytes]]:
    """(filename, content type, bytes) of each file field the person filled."""
    out = {}
    for f in fields_of(schema, {}):
        upload = files.get(f.name) if f.kind == "file" else None
        if upload is not None and upload.filename:
            out[f.name] = (upload.filename, upload.mimetype or "application/octet-stream", upload.read())
    return out


def input_name(path: str) -> str:
    """An error path from validation (participants.0.department) to its input (participants-0-department)."""
    return path.replace(".", "-")
