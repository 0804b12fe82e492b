"""The REST API under /api/v1: flask-smorest blueprints whose errors are problem+json."""
from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from web import errors


class ProblemApi(Api):
    def handle_http_exception(self, error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return errors.http_error(error)
        return errors.page_error(error)


def register(app: Flask) -> ProblemApi:
    from web.api import (
        admin,
        appeals,
        calendar,
        complaints,
        conversation,
        definitions,
        feedback,
        incidents,
        instances,
        reports,
        tasks,
    )

    api = ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    for module in (appeals, complaints, conversation, tasks, calendar, incidents, admin, feedback, definitions,
                   instances, reports):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    return api


def blueprints() -> list[Any]:
    from web.api import (
        admin,
        appeals,
        calendar,
        complaints,
        conversation,
        definitions,
        feedback,
        incidents,
        instances,
        reports,
        tasks,
    )

    return [m.blp for m in (admin, appeals, calendar, complaints, conversation, definitions, feedback, incidents,
                            instances, reports, tasks)]
