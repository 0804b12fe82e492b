"""User-task forms: JSON Schemas from processes/forms, and validation of submitted data against them."""
from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.errors import InvalidInput
from engine.messages import Message

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return len(value) == 10


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a date-time needs a UTC offset, e.g. 2026-11-24T10:00:00+03:00")
    return True


def check_schema(schema: dict[str, Any]) -> None:
    """Raise when `schema` is not a valid JSON Schema. Every deployment and validation checks all the forms of
    its bundle, mostly the same ones again; a schema found valid is remembered by its text (a bad one is
    checked, and refused, every time)."""
    _check_schema_text(json.dumps(schema, sort_keys=True, ensure_ascii=False))


@functools.lru_cache(maxsize=512)
def _check_schema_text(text: str) -> None:
    Draft202012Validator.check_schema(json.loads(text))


def _field_path(error: ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{extra}" if path else extra
    return path or "_form"


def _message(error: ValidationError) -> str:
    match error.validator:
        case "required":
            return Message("This field is required.")
        case "additionalProperties":
            return Message("This field is not part of the form.")
        case "type":
            return Message("Must be of type {kind}.", kind=error.validator_value)
        case "enum":
            return Message("Must be one of: {choices}.", choices=", ".join(map(str, error.validator_value)))
        case "minLength":
            return Message("Must not be empty.") if error.validator_value == 1 else error.message
        case "format":
            if error.validator_value == "date":
                return Message("Not a valid date.")
            if error.validator_value == "date-time":
                return Message("Not a valid date-time: {detail}", detail=error.message) \
                    if "offset" in error.message else Message("Not a valid date-time.")
            return Message("Not a valid {kind}.", kind=error.validator_value)
        case _:
            return error.message


def _source_fields(schema: dict[str, Any], path: str = "") -> Iterable[tuple[str, str]]:
    """Yield (field path with * for array items, source name) for fields whose values are references."""
    for name, prop in schema.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        if "x-source" in prop:
            yield here, prop["x-source"]
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            yield from _source_fields(prop["items"], here + ".*")


def _values_at(data: Any, parts: list[str], prefix: str = "") -> Iterable[tuple[str, Any]]:
    if not parts:
        yield prefix, data
        return
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(data, list):
        for i, item in enumerate(data):
            yield from _values_at(item, rest, f"{prefix}.{i}" if prefix else str(i))
    elif isinstance(data, dict) and head in data:
        yield from _values_at(data[head], rest, f"{prefix}.{head}" if prefix else head)


def _not_past_fields(schema: dict[str, Any], path: str = "") -> Iterable[str]:
    """Yield the paths (with * for array items) of dates marked `"x-not-past": true` (agreed dates,
    deadlines): a date the form asks about the future must not be before today."""
    for name, prop in schema.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        if prop.get("x-not-past"):
            yield here
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            yield from _not_past_fields(prop["items"], here + ".*")


def _past_dates(schema: dict[str, Any], data: Any, today: dt.date, before: dict[str, Any]) -> Iterable[str]:
    """Where a date is before today, unless the process already held that very value there (a task
    planned earlier and now overdue is reported with its deadline unchanged)."""
    for path in _not_past_fields(schema):
        kept = dict(_values_at(before, path.split(".")))
        for where, value in _values_at(data, path.split(".")):
            try:
                if isinstance(value, str) and value != kept.get(where) and \
                        dt.date.fromisoformat(value[:10]) < today:
                    yield where
            except ValueError:
                continue  # the format check reports it


def validate(schema: dict[str, Any], data: Any, known: Callable[[str, str], bool],
             today: dt.date | None = None, before: dict[str, Any] | None = None) -> None:
    """Raise InvalidInput with per-field messages; `known(source, value)` checks references; `today`
    (the company's date) bounds the dates that must not be in the past, `before` is the task's data."""
    if not isinstance(data, dict):
        raise InvalidInput("Form data must be an object.", {"data": [Message("Must be an object.")]})
    fields: dict[str, list[str]] = {}
    for error in Draft202012Validator(schema, format_checker=_FORMATS).iter_errors(data):
        fields.setdefault(_field_path(error), []).append(_message(error))
    for path, source in _source_fields(schema):
        for where, value in _values_at(data, path.split(".")):
            if isinstance(value, str) and value and not known(source, value):
                fields.setdefault(where, []).append(
                    Message("Unknown value in {source}: {value}.", source=source, value=value))
    for where in _past_dates(schema, data, today, before or {}) if today else ():
        fields.setdefault(where, []).append(Message("The date cannot be in the past."))
    if fields:
        raise InvalidInput("The form has errors.", fields)
