"""Process instances on their diagram: the state of every element an instance reached."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from web.api.blueprint import Blueprint
from web.queries import engine

PREFIX = "/instances"
blp = Blueprint("api_instances", __name__, description="Process instances and the state of their elements")
STATES = ("completed", "active", "overdue", "failed")


class DefinitionRef(Schema):
    key = fields.String()
    version = fields.Integer()


class ElementOut(Schema):
    id = fields.String(metadata={"description": "The element's id in the BPMN"})
    process = fields.String(metadata={"description": "The process that draws it (ids may repeat across files)"})
    name = fields.String(allow_none=True)
    type = fields.String(allow_none=True, metadata={"description": "The kind of element, e.g. UserTask"})
    state = fields.String(validate=validate.OneOf(STATES))
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    data = fields.Dict(allow_none=True, metadata={"description": "The form data of its last completion"})
    error = fields.String(metadata={"description": "The open incident's message (state failed)"})


class InstanceOut(Schema):
    business_key = fields.String()
    status = fields.String()
    definition = fields.Nested(DefinitionRef)
    elements = fields.List(fields.Nested(ElementOut), metadata={"description": "Elements never reached are absent"})


@blp.route("/<business_key>")
class InstanceItem(MethodView):
    @blp.response(200, InstanceOut)
    def get(self, business_key: str) -> dict[str, Any]:
        """The newest instance of a business key (a complaint number) with the state of each element."""
        return engine().instance_on_diagram(business_key)


class InstancesField(fields.Field):
    """Either "all" (every running instance of the source version) or a list of business keys."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str] | str:
        if value == "all":
            return "all"
        if isinstance(value, list) and 0 < len(value) <= 1000 and \
                all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
            return list(value)
        raise ValidationError('Give "all" or a list of 1 to 1000 complaint numbers.')


class MigrateIn(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    from_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    instances = InstancesField(required=True, metadata={"oneOf": [
        {"type": "string", "enum": ["all"]},
        {"type": "array", "items": {"type": "string", "maxLength": 40}, "minItems": 1, "maxItems": 1000}]})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "Only preview (the default)"})


class ReasonOut(Schema):
    element = fields.String(allow_none=True, metadata={"description": "The element in the way, if one is"})
    reason = fields.String()


class MigratedOut(Schema):
    business_key = fields.String()
    can_move = fields.Boolean()
    moved = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonOut), metadata={"description": "Why it cannot move; empty if it can"})
    incident = fields.Integer(metadata={"description": "The incident opened when running on after the move failed"})


class MigrateSummaryOut(Schema):
    total = fields.Integer()
    can_move = fields.Integer()
    moved = fields.Integer()


class MigrateOut(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    summary = fields.Nested(MigrateSummaryOut)
    instances = fields.List(fields.Nested(MigratedOut))


@blp.route("/migrate")
class InstancesMigrate(MethodView):
    @blp.arguments(MigrateIn)
    @blp.response(200, MigrateOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Move running instances from one version to another (`dry_run`: only say whether each can move and
        why not). Each instance moves in its own transaction, recorded in its history; a refused one is left
        exactly as it was."""
        return engine().migrate_instances(body["key"], body["from_version"], body["to_version"],
                                          body["instances"], body["dry_run"], g.actor)
