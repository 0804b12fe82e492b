"""Process definitions: every deployed version, and one version's files (BPMN and forms)."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select

from engine import Bundle
from models import ProcessDefinition, db
from web.api.blueprint import Blueprint
from web.process_views import definitions, version_bundle, version_info
from web.queries import engine

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


def bpmn_files(description: str, **options: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[\w.-]+\.bpmn$")), values=fields.String(),
                       validate=validate.Length(min=1, max=20), metadata={"description": description}, **options)


class BundleIn(Schema):
    bpmn = bpmn_files("BPMN XML by file name", required=True)
    forms = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[\w.-]+\.json$")), values=fields.Dict(),
                        load_default=dict, validate=validate.Length(max=200),
                        metadata={"description": "JSON Schema of each form by file name"})
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReplayIn(BundleIn):
    bpmn = bpmn_files("BPMN XML by file name: the draft to replay (or give `version`)", load_default=None)
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1_000_000),
                             metadata={"description": "A deployed version to replay instead of a bundle"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "How many of the last closed instances to replay"})

    @validates_schema
    def _one_source(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("bpmn") is None) == (data.get("version") is None):
            raise ValidationError("Send either a bundle (bpmn, forms) or a deployed version.", "bpmn")


class ReplayResultOut(Schema):
    business_key = fields.String(metadata={"description": "The complaint number"})
    version = fields.Integer(metadata={"description": "The version it ran on"})
    outcome = fields.String(validate=validate.OneOf(("same", "different", "failed")))
    path = fields.List(fields.String(), metadata={"description": "Human tasks replayed in order; `end` if it ended"})
    after = fields.String(allow_none=True, metadata={"description": "The last element both paths share"})
    expected = fields.String(allow_none=True,
                             metadata={"description": "A different path: the recorded next element (or `end`)"})
    reached = fields.List(fields.String(),
                          metadata={"description": "A different path: what the replayed version offers instead"})
    element = fields.String(allow_none=True, metadata={"description": "A failure: the element that failed"})
    error = fields.String(allow_none=True, metadata={"description": "A failure: the error"})


class ReplaySummaryOut(Schema):
    same = fields.Integer()
    different = fields.Integer()
    failed = fields.Integer()
    total = fields.Integer()


class ReplayOut(Schema):
    key = fields.String()
    version = fields.Integer(allow_none=True, metadata={"description": "The version replayed; null for a bundle"})
    limit = fields.Integer()
    summary = fields.Nested(ReplaySummaryOut)
    results = fields.List(fields.Nested(ReplayResultOut), metadata={"description": "Newest closed first"})


class ValidOut(Schema):
    key = fields.String()
    valid = fields.Boolean()


@blp.route("")
class Definitions(MethodView):
    @blp.response(200, DefinitionOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every process with each deployed version: hash, who deployed it and when, comment, instances."""
        return definitions()


@blp.route("/<key>/versions/<int:version>")
class DefinitionVersion(MethodView):
    @blp.response(200, BundleOut)
    def get(self, key: str, version: int) -> dict[str, Any]:
        """One version with its BPMN files and forms, in the shape a deployment takes."""
        return version_bundle(key, version)


@blp.route("/<key>/validate")
class DefinitionValidate(MethodView):
    @blp.arguments(BundleIn)
    @blp.response(200, ValidOut)
    def post(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        """Check a bundle as deploying would; 422 with `errors` keyed by element id. Nothing is written."""
        engine().validate(key, Bundle(body["bpmn"], body["forms"]))
        return {"key": key, "valid": True}


@blp.route("/<key>/versions")
class DefinitionVersions(MethodView):
    @blp.arguments(BundleIn)
    @blp.response(201, VersionOut)
    @blp.alt_response(200, schema=VersionOut, description="The same content was deployed before: that version")
    def post(self, body: dict[str, Any], key: str) -> tuple[dict[str, Any], int]:
        """Deploy a bundle as a new version with a comment; 422 with `errors` keyed by element id, nothing
        deployed, while any problem remains."""
        latest = db.session.scalar(select(func.max(ProcessDefinition.version))
                                   .where(ProcessDefinition.key == key)) or 0
        row = engine().deploy(key, Bundle(body["bpmn"], body["forms"]), g.actor, body["comment"])
        return version_info(row.key, row.version), 201 if row.version > latest else 200


@blp.route("/<key>/replay")
class DefinitionReplay(MethodView):
    @blp.arguments(ReplayIn)
    @blp.response(200, ReplayOut)
    def post(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        """Replay the last `limit` closed instances' recorded task data through a bundle (checked as deploying
        would; 422 with `errors` keyed by element id) or a deployed version, in memory. Per instance: the
        same path, a different one (after which element, expected and reached), or a failure (element and
        error). Nothing is written."""
        bundle = Bundle(body["bpmn"], body["forms"]) if body["bpmn"] is not None else None
        return engine().replay_check(key, bundle, body["version"], body["limit"])
