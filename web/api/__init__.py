"""The REST API under /api/v1: flask-smorest blueprints whose errors are problem+json."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from web import errors
from web.api import problems


class ProblemApi(Api):
    ERROR_SCHEMA = problems.ProblemOut
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation declares the errors it really gives (see DeclaredErrors)

    def _register_responses(self) -> None:
        """flask-smorest's shared error responses, declared as problem+json (what `web.errors` sends)."""
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, errors.PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, errors.PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return errors.http_error(error)
        return errors.page_error(error)


def _modules() -> tuple[Any, ...]:
    """The API's modules, each with its blueprint `blp` and URL `PREFIX`, in the order the docs list them."""
    from web.api import (
        admin,
        appeals,
        calendar,
        complaints,
        conversation,
        definitions,
        feedback,
        history,
        improvement,
        incidents,
        instances,
        privacy,
        reports,
        tasks,
    )

    return (appeals, complaints, conversation, tasks, calendar, incidents, admin, feedback, definitions, instances,
            reports, privacy, history, improvement)


def register(app: Flask) -> ProblemApi:
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [problems.DeclaredErrors()], "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}})
    for module in _modules():
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    return api


def blueprints() -> list[Any]:
    return [m.blp for m in _modules()]
