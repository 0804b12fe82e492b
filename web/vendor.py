"""Front-end packages from the npm registry, served from node_modules (installed by `make setup`)."""
from __future__ import annotations

from flask import Blueprint, abort, send_from_directory
from werkzeug.wrappers import Response

from web.config import ROOT

bp = Blueprint("vendor", __name__)
PACKAGES = {"swagger-ui": "swagger-ui-dist", "bpmn-js": "bpmn-js", "chart.js": "chart.js"}


@bp.route("/vendor/<name>/<path:filename>")
def asset(name: str, filename: str) -> Response:
    if name not in PACKAGES:
        abort(404)
    return send_from_directory(ROOT / "node_modules" / PACKAGES[name], filename, max_age=86400)
