"""Process definitions and instances on their diagrams: the versions list, one version, a complaint's diagram."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.errors import NotFound
from models import Complaint, db
from web.process_views import definitions, has_layout, processes_in, version_bundle
from web.queries import engine
from web.ui.formatting import local_time

bp = Blueprint("processes", __name__)
CHANGES = {"added": _l("добавлен"), "changed": _l("изменён"), "removed": _l("удалён")}
STATES = {"completed": _l("выполнен"), "active": _l("в работе"), "overdue": _l("просрочен"),
          "failed": _l("инцидент")}


def _files(bpmn: dict[str, str]) -> list[dict[str, Any]]:
    return [{"name": name, "xml": xml, "processes": processes_in(xml), "laid_out": has_layout(xml)}
            for name, xml in bpmn.items()]


@bp.route("/processes")
def process_list() -> str:
    return render_template("processes.html", definitions=definitions())


@bp.route("/processes/<key>/versions/<int:version>")
def version(key: str, version: int) -> str:
    try:
        bundle = version_bundle(key, version)
    except NotFound:
        abort(404)
    files = _files(bundle["bpmn"])
    return render_template("process_version.html", v=bundle, files=files, elements=[],
                           first_file=_first_file(files, []))


def _element_view(element: dict[str, Any]) -> dict[str, Any]:
    """What the click panel shows: times in the company's zone and Russian format, the state in words."""
    return {**element, "state_label": str(STATES[element["state"]]),
            "completed_at": local_time(element["completed_at"]) if element["completed_at"] else None,
            "due_at": local_time(element["due_at"]) if element["due_at"] else None}


def _first_file(files: list[dict[str, Any]], elements: list[dict[str, Any]]) -> str | None:
    """Open the file where the work is: a failed, overdue or active step (a call activity only points to it)."""
    for state in ("failed", "overdue", "active"):
        for element in elements:
            if element["state"] == state and element["type"] != "CallActivity":
                found = next((f["name"] for f in files if element["process"] in f["processes"]), None)
                if found:
                    return found
    return files[0]["name"] if files else None


@bp.route("/complaints/<number>/diagram")
def instance_diagram(number: str) -> str:
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    if complaint is None:
        abort(404)
    try:
        view = engine().instance_on_diagram(number)
    except NotFound:
        abort(404)
    definition = view["definition"]
    bundle = version_bundle(definition["key"], definition["version"])
    files = _files(bundle["bpmn"])
    elements = [_element_view(e) for e in view["elements"]]
    return render_template("instance_diagram.html", c=complaint, view=view, v=bundle, files=files,
                           elements=elements, first_file=_first_file(files, view["elements"]), states=STATES)


@bp.route("/processes/<key>/diff")
def diff(key: str) -> str:
    """Two versions compared: the newer one's diagram with added and changed elements coloured."""
    old_n, new_n = request.args.get("from", type=int), request.args.get("to", type=int)
    if old_n is None or new_n is None:
        abort(404)
    try:
        old, new = version_bundle(key, old_n), version_bundle(key, new_n)
    except NotFound:
        abort(404)
    changes = engine().compare_versions(old, new)
    elements = [{**e, "state": e["change"], "state_label": str(CHANGES[e["change"]])}
                for e in changes["elements"] if e["change"] != "removed"]
    files = _files(new["bpmn"])
    return render_template("process_diff.html", old=old, v=new, changes=changes, files=files, elements=elements,
                           first_file=_first_changed_file(files, elements), labels=CHANGES)


def _first_changed_file(files: list[dict[str, Any]], elements: list[dict[str, Any]]) -> str | None:
    changed = {e["process"] for e in elements}
    return next((f["name"] for f in files if changed & set(f["processes"])), files[0]["name"] if files else None)
