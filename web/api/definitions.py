"""Process definitions: every deployed version, and one version's files (BPMN and forms)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from web.auth import requires
from web.process_views import definitions, version_bundle

PREFIX = "/definitions"
blp = Blueprint("api_definitions", __name__, description="Deployed process definitions and their versions")


class VersionOut(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    sha256 = fields.String()
    deployed_by = fields.String()
    deployed_at = fields.DateTime()
    comment = fields.String(allow_none=True)
    instances = fields.Integer(metadata={"description": "Instances started on this version"})
    running = fields.Integer(metadata={"description": "Of those, the ones not completed"})


class DefinitionOut(Schema):
    key = fields.String()
    name = fields.String()
    versions = fields.List(fields.Nested(VersionOut), metadata={"description": "Newest first"})


class BundleOut(VersionOut):
    bpmn = fields.Dict(keys=fields.String(), values=fields.String(),
                       metadata={"description": "BPMN XML by file name"})
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(),
                        metadata={"description": "JSON Schema of each form by file name"})


@blp.route("")
class Definitions(MethodView):
    @requires("definitions:read")
    @blp.response(200, DefinitionOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every process with each deployed version: hash, who deployed it and when, comment, instances."""
        return definitions()


@blp.route("/<key>/versions/<int:version>")
class DefinitionVersion(MethodView):
    @requires("definitions:read")
    @blp.response(200, BundleOut)
    def get(self, key: str, version: int) -> dict[str, Any]:
        """One version with its BPMN files and forms, in the shape a deployment takes."""
        return version_bundle(key, version)
