"""The process modeler: an owner edits a process in bpmn-js, keeps a draft, validates and deploys it."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from engine import Bundle
from engine.errors import InvalidDefinition, NotFound
from web.api.definitions import BundleIn
from web.errors import definition_errors, engine_error, flatten, problem
from web.process_views import definitions, version_bundle
from web.queries import engine
from web.ui.access import actor

bp = Blueprint("modeler", __name__)


def _latest(key: str) -> dict[str, Any] | None:
    found = next((d for d in definitions() if d["key"] == key), None)
    return version_bundle(key, found["versions"][0]["version"]) if found else None


@bp.route("/processes/<key>/edit")
def edit(key: str) -> str:
    """The draft if there is one, else the newest version, in the modeler."""
    latest = _latest(key)
    draft = engine().load_draft(key)
    if latest is None and draft is None:
        abort(404)
    source = draft or latest or {}
    state = {"key": key, "bpmn": source["bpmn"], "forms": source["forms"],
             "comment": (draft or {}).get("comment") or "",
             "base_version": draft["base_version"] if draft else latest and latest["version"],
             "urls": {"draft": f"/processes/{key}/draft", "discard": f"/processes/{key}/draft/discard",
                      "validate": f"/processes/{key}/validate", "deploy": f"/processes/{key}/deploy",
                      "version": f"/processes/{key}/versions/"}}
    return render_template("modeler.html", key=key, latest=latest, draft=draft, state=state)


def _raw() -> dict[str, Any]:
    raw = request.get_json(silent=True)
    return raw if isinstance(raw, dict) else {}


def _body() -> dict[str, Any]:
    """The bundle in the deployment's shape; `base_version` (which version the draft started from) aside."""
    return BundleIn().load({k: v for k, v in _raw().items() if k != "base_version"})


def _refused(err: ValidationError) -> Response:
    return problem(422, "Unprocessable Entity", "The bundle is not in the deployment's shape.",
                   errors=flatten(err.messages))


@bp.route("/processes/<key>/draft", methods=["POST"])
def save_draft(key: str) -> Response | tuple[Response, int]:
    try:
        body = _body()
    except ValidationError as err:
        return _refused(err)
    base = _raw().get("base_version")
    saved = engine().save_draft(key, Bundle(body["bpmn"], body["forms"]), body["comment"],
                                base if isinstance(base, int) else None, actor())
    return jsonify({"saved_by": saved["saved_by"], "saved_at": saved["saved_at"].isoformat()})


@bp.route("/processes/<key>/draft/discard", methods=["POST"])
def discard_draft(key: str) -> Response:
    return jsonify({"discarded": engine().discard_draft(key)})


@bp.route("/processes/<key>/validate", methods=["POST"])
def validate(key: str) -> Response:
    try:
        body = _body()
        engine().validate(key, Bundle(body["bpmn"], body["forms"]))
    except ValidationError as err:
        return _refused(err)
    except InvalidDefinition as err:
        return engine_error(err)
    return jsonify({"valid": True, "problems": [], "errors": definition_errors([])})


@bp.route("/processes/<key>/deploy", methods=["POST"])
def deploy(key: str) -> Response | tuple[Response, int]:
    """A new version from what the modeler shows; the draft goes with it. The same content again: that version."""
    try:
        body = _body()
        before = _latest(key)
        row = engine().deploy_draft(key, Bundle(body["bpmn"], body["forms"]), actor(), body["comment"])
    except ValidationError as err:
        return _refused(err)
    except (InvalidDefinition, NotFound) as err:
        return engine_error(err)
    created = before is None or row.version > before["version"]
    return jsonify({"version": row.version, "created": created}), 201 if created else 200
