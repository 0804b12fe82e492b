"""Hostile input stops at the door with a field message: one JSON reader, one query check, one last resort.

Every request with a JSON body is read here once, strictly (valid UTF-8, no duplicate keys, bounded
nesting, no control characters or lone surrogates in any key or string), before any endpoint's schema sees
it; query strings get the same character check. So an endpoint added tomorrow inherits all of it. What
slips past validation and is refused by the database (`DataError`) is answered 422, never 500.
"""
from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from flask import Flask, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter

from engine.column_checks import TYPED_REPLACEMENTS, text_problem
from models import db
from web import errors

MAX_DEPTH = 32
INT_MAX = 2**31 - 1  # the largest key an Integer column holds on PostgreSQL


class BoundedInt(IntegerConverter):
    """`<int:…>` in a route matches only what an Integer column can hold; a larger number is no such page (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


class Refused(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise Refused(key, "The key appears more than once.")
        seen[key] = value
    return seen


def _walk(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Refused(path or "_body", f"Nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        if problem := text_problem(value):
            raise Refused(path or "_body", problem)
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and (problem := text_problem(key)):
            raise Refused(name, problem)
        _walk(item, name, depth + 1)


def read_json(raw: bytes) -> Any:
    """The body as JSON, or `Refused` naming where it breaks a rule."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("_body", "The body is not valid UTF-8.") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise Refused("_body", f"Nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError as err:
        raise Refused("_body", f"Not valid JSON: {err}.") from None
    _walk(value, "", 0)
    return value


def _refuse(where: str, message: str) -> Any:
    if request.path.startswith("/api/"):
        return errors.problem(422, "Unprocessable Entity", "The request has errors.", errors={where: [message]})
    body = render_template("error.html", code=422, title=_("Неверные данные"),
                           message=f"{where}: {message}")
    return body, 422


def undecodable_field(raw: bytes) -> str | None:
    """The first field of a URL-encoded string whose bytes are not UTF-8 (Werkzeug keeps such a value as its
    literal %-escapes, so the person would see it stored mangled): such input comes only from crafted clients."""
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"next":  # a redirect target: judged by the redirect rules, which send a bad one home
            continue
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return unquote_to_bytes(name).decode("utf-8", "replace")
    return None


def _replaced(raw: bytes) -> bytes:
    """The URL-encoded string again with each field's invalid UTF-8 decoded to U+FFFD (kept `next` as sent)."""
    pairs = []
    for pair in raw.split(b"&"):
        name, eq, value = pair.partition(b"=")
        if name != b"next":
            text = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", "replace")
            value = quote(text, safe="").encode("ascii")
        pairs.append(name + eq + value)
    return b"&".join(pairs)


def _page_form_with_replacements() -> None:
    """A page form whose bytes are not UTF-8 goes on to its own view with U+FFFD in their place, so the form
    comes back with the message under the field and everything else typed kept; no row may take U+FFFD from
    this request (the session's flush check refuses it), so nothing is stored mangled."""
    body = _replaced(request.get_data(cache=True))
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["CONTENT_LENGTH"] = str(len(body))
    for cached in ("form", "files", "stream", "_cached_data", "input_stream"):
        request.__dict__.pop(cached, None)
    request._cached_data = body  # type: ignore[attr-defined]
    db.session.info[TYPED_REPLACEMENTS] = True


def _forget_replacements(_exc: BaseException | None = None) -> None:
    db.session.info.pop(TYPED_REPLACEMENTS, None)


def _check_request() -> Any:
    if name := undecodable_field(request.query_string):
        return _refuse(f"query.{name}", "Not valid UTF-8.")
    if request.mimetype == "application/x-www-form-urlencoded" and (name := undecodable_field(request.get_data(
            cache=True))):
        if request.path.startswith("/api/"):
            return _refuse(name, "Not valid UTF-8.")
        _page_form_with_replacements()
    for name, value in request.args.items(multi=True):
        if name == "next":  # a redirect target: judged by the redirect rules, which send a bad one home
            continue
        if problem := text_problem(value, typed=True) or text_problem(name, typed=True):
            return _refuse(f"query.{name}", problem)
    if request.is_json and request.content_length != 0:
        try:
            read_json(request.get_data(cache=True))
        except Refused as refused:
            return _refuse(refused.where, refused.message)
    elif request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH") and request.get_data(
            cache=True):
        return _refuse("_body", "Send the body as application/json.")
    return None


def _database_refused(err: DataError) -> Any:
    """Last resort: validation should have caught it; the database's refusal is still the client's error."""
    db.session.rollback()
    return _refuse("_body", "A value is out of range or not storable.")


def register_converters(app: Flask) -> None:
    """Before any route is added: the routes compile their converters when they are registered."""
    app.url_map.converters["int"] = BoundedInt


def register(app: Flask) -> None:
    """After the permission check, so an unauthenticated caller learns nothing about its input."""
    app.before_request(_check_request)
    app.teardown_request(_forget_replacements)
    app.register_error_handler(DataError, _database_refused)

