"""Read models of deployed process versions: the list with instance counts, one version's bundle, its files."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from sqlalchemy import func, select

from engine.errors import VersionNotFound
from models import ProcessDefinition, ProcessInstance, db

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _instance_counts() -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
                              .group_by(ProcessInstance.definition_id, ProcessInstance.status))
    for definition_id, status, count in rows:
        entry = counts.setdefault(definition_id, {"instances": 0, "running": 0})
        entry["instances"] += count
        if status != "completed":
            entry["running"] += count
    return counts


def version_summary(row: ProcessDefinition, counts: dict[str, int] | None = None) -> dict[str, Any]:
    counts = counts or {"instances": 0, "running": 0}
    return {"key": row.key, "version": row.version, "name": row.name, "sha256": row.sha256,
            "deployed_by": row.deployed_by, "deployed_at": row.deployed_at, "comment": row.comment,
            "instances": counts["instances"], "running": counts["running"]}


def definitions() -> list[dict[str, Any]]:
    """Every process key with its versions, newest version first."""
    counts = _instance_counts()
    grouped: dict[str, dict[str, Any]] = {}
    for row in db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key,
                                                                     ProcessDefinition.version.desc())):
        entry = grouped.setdefault(row.key, {"key": row.key, "name": row.name, "versions": []})
        entry["versions"].append(version_summary(row, counts.get(row.id)))
    return list(grouped.values())


def version_row(key: str, version: int) -> ProcessDefinition:
    row = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                            ProcessDefinition.version == version))
    if row is None:
        raise VersionNotFound(f"No version {version} of process {key}.")
    return row


def version_bundle(key: str, version: int) -> dict[str, Any]:
    """One version with its files in the shape a deployment takes: {"bpmn": {...}, "forms": {...}}."""
    row = version_row(key, version)
    return {**version_info(key, version), "bpmn": dict(row.sources.get("bpmn", {})),
            "forms": dict(row.sources.get("forms", {}))}


def version_info(key: str, version: int) -> dict[str, Any]:
    row = version_row(key, version)
    return version_summary(row, _instance_counts().get(row.id))


def processes_in(xml: str) -> list[str]:
    """Ids of the processes a BPMN file defines (the viewer shows one file at a time)."""
    try:
        root = ElementTree.fromstring(xml.encode("utf-8"))
    except ElementTree.ParseError:
        return []
    return [p.get("id") for p in root.iter(f"{BPMN}process") if p.get("id")]


def has_layout(xml: str) -> bool:
    return "BPMNDiagram" in xml
