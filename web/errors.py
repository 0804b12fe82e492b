"""One mapping from engine errors to HTTP: RFC 7807 problem+json for the API."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine import errors as e

PROBLEM = "application/problem+json"

STATUS: list[tuple[type[e.EngineError], int, str]] = [
    (e.NotFound, 404, "Not found"),
    (e.DefinitionNotFound, 503, "Process not deployed"),
    (e.NotAllowed, 403, "Forbidden"),
    (e.Conflict, 409, "Conflict"),
    (e.InvalidInput, 422, "Invalid input"),
    (e.InvalidDefinition, 422, "Invalid process definition"),
    (e.StepFailed, 500, "Process step failed; an incident was opened"),
    (e.RateLimited, 429, "Too many requests"),
]


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM)


def _status_of(err: e.EngineError) -> tuple[int, str]:
    found = (500, "Error")
    for cls, status, title in STATUS:
        if isinstance(err, cls):
            found = (status, title)
    return found


def definition_errors(problems: list[dict[str, str]]) -> dict[str, list[str]]:
    """Problems keyed by the element they concern (or the file, when no element is known)."""
    errors: dict[str, list[str]] = {}
    for found in problems:
        where = found.get("element") or found.get("file") or "_bundle"
        errors.setdefault(where, []).append(f"{found.get('file', '')}: {found['message']}".lstrip(": "))
    return errors


def engine_error(err: e.EngineError) -> Response:
    status, title = _status_of(err)
    extra: dict[str, Any] = {}
    if isinstance(err, e.InvalidInput):
        extra["errors"] = err.fields
    if isinstance(err, e.InvalidDefinition):
        extra["problems"] = err.problems
        extra["errors"] = definition_errors(err.problems)
    if isinstance(err, e.StepFailed):
        extra["incident_id"] = err.incident_id
    return problem(status, title, err.message, **extra)


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests messages by location and field; the API promises flat dotted field paths."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_body"] = list(messages)
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat


def http_error(err: HTTPException) -> Response:
    data = getattr(err, "data", None) or {}
    extra: dict[str, Any] = {}
    if "messages" in data:
        messages = data["messages"]
        merged: dict[str, Any] = {}
        for location, value in (messages.items() if isinstance(messages, dict) else []):
            merged.update(value if isinstance(value, dict) else {f"_{location}": value})
        extra["errors"] = flatten(merged or messages)
    code = err.code or 500
    detail = data.get("message") or (err.description if code != 422 else "The request has errors.")
    return problem(code, err.name, detail, **extra)


def _page_title(code: int) -> str:
    """A page's heading for an HTTP status, in the page's language."""
    titles = {400: _("Неверный запрос"), 403: _("Доступ запрещён"), 404: _("Не найдено"), 409: _("Конфликт"),
              413: _("Слишком большой запрос"), 422: _("Неверные данные"), 429: _("Слишком много запросов"),
              503: _("Процесс не развёрнут")}
    return titles.get(code, _("Ошибка"))


def _page_message(code: int) -> str | None:
    messages = {403: _("У вашей роли нет доступа к этой странице."), 404: _("Такой страницы нет."),
                413: _("Файлы слишком большие."), 400: _("Запрос не удалось разобрать; обновите страницу и повторите.")}
    return messages.get(code)


def page_error(err: HTTPException) -> Any:
    if err.response is not None:  # a page built for this error already (e.g. the sign-in limit)
        return err.response
    code = err.code or 500
    message = _page_message(code) or err.description
    if code == 400 and "CSRF" in (err.description or ""):
        message = _("Страница устарела или открыта в другом окне: обновите её и отправьте форму ещё раз.")
    body = render_template("error.html", code=code, title=_page_title(code), message=message)
    return body, code


def _engine_error_anywhere(err: e.EngineError) -> Any:
    if request.path.startswith("/api/"):
        return engine_error(err)
    from web.ui.messages import localized

    status, _title = _status_of(err)
    return render_template("error.html", code=status, title=_page_title(status),
                           message=localized(err.message)), status


def register(app: Flask) -> None:
    app.register_error_handler(e.EngineError, _engine_error_anywhere)
