"""What changed between two versions of a process: elements added, removed or changed, and their forms."""
from __future__ import annotations

from typing import Any

from lxml import etree

from engine.bpmn.definitions import SAFE_XML

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
Elements = dict[tuple[str, str], tuple[str | None, bytes]]


def _elements(bpmn: dict[str, str]) -> Elements:
    """(process id, element id) → (name, canonical XML) of every flow element; layout is not compared."""
    found: Elements = {}
    for text in bpmn.values():
        root = etree.fromstring(text.encode("utf-8"), parser=SAFE_XML)
        for process in root.iter(f"{BPMN}process"):
            for element in process:
                if isinstance(element.tag, str) and element.get("id") and element.tag != f"{BPMN}laneSet":
                    found[(process.get("id"), element.get("id"))] = (element.get("name"),
                                                                     etree.tostring(element, method="c14n"))
    return found


def _change(key: Any, before: dict[Any, Any], after: dict[Any, Any]) -> str | None:
    if key not in before:
        return "added"
    if key not in after:
        return "removed"
    return "changed" if before[key] != after[key] else None


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Differences between two bundles ({"bpmn": ..., "forms": ...}); unchanged elements and forms are left out."""
    before, after = _elements(old.get("bpmn", {})), _elements(new.get("bpmn", {}))
    elements = []
    for key in sorted(before.keys() | after.keys()):
        change = _change(key, before, after)
        if change:
            name = (after.get(key) or before[key])[0]
            elements.append({"process": key[0], "id": key[1], "name": name, "change": change})
    old_forms, new_forms = old.get("forms", {}), new.get("forms", {})
    forms = [{"name": name, "change": change} for name in sorted(old_forms.keys() | new_forms.keys())
             if (change := _change(name, old_forms, new_forms))]
    return {"elements": elements, "forms": forms}
