"""The API's error answers as the OpenAPI document declares them: problem+json, on the operations that give them."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from marshmallow import Schema, fields

from web.permissions import TABLE


class ProblemOut(Schema):
    """RFC 7807 problem details; `errors` maps a field path to its messages."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    problems = fields.List(fields.Dict())
    incident_id = fields.Integer(allow_none=True)


def _statuses(method: str, rule: str, operation: dict[str, Any]) -> set[int]:
    """Which errors this operation can answer: from who may call it, its path and whether it takes a body."""
    permission = TABLE.get(f"{method.upper()} {rule}")
    found = {422}  # query, path and body values are validated everywhere, and the database refuses the rest
    if permission is None or not permission.public:
        found |= {401, 403}
    else:
        found |= {429}  # the public endpoints are rate-limited per address
    if "<" in rule:
        found.add(404)
    if method != "get":
        found |= {400, 409, 413}  # a body that is not JSON, a state that changed meanwhile, a body too large
    return found


class DeclaredErrors(BasePlugin):
    """Adds the error answers of each operation to the document, all as problem+json."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(method, str(rule.rule), operation)):
                responses.setdefault(str(status), HTTPStatus(status).name)

