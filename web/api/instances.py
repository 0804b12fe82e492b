"""Process instances on their diagram: the state of every element an instance reached."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

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
