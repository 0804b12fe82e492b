"""Comparing two versions: elements added, removed and changed (layout ignored), and forms."""
from __future__ import annotations

from engine import ProcessEngine
from tests.engine.test_incidents_and_definitions import script_after_task


def bundle_of(script: str, extra: str = "", forms: dict | None = None) -> dict:
    bpmn = dict(script_after_task(script).bpmn)
    if extra:
        bpmn["probe.bpmn"] = bpmn["probe.bpmn"].replace("</bpmn:process>", extra + "</bpmn:process>")
    return {"bpmn": bpmn, "forms": forms or {}}


def test_added_removed_and_changed_elements_and_forms(engine: ProcessEngine) -> None:
    old = bundle_of("y = 1", '<bpmn:manualTask id="gone" name="Old step"/>', {"a.json": {"type": "object"},
                                                                            "b.json": {"type": "object"}})
    new = bundle_of("y = 2", '<bpmn:manualTask id="fresh" name="New step"/>',
                    {"a.json": {"type": "object", "title": "A"}, "b.json": {"type": "object"},
                     "c.json": {"type": "object"}})
    new["bpmn"]["probe.bpmn"] = new["bpmn"]["probe.bpmn"].replace(
        "</bpmn:definitions>", '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'id="d"/></bpmn:definitions>')
    changes = engine.compare_versions(old, new)
    assert changes["elements"] == [
        {"process": "probe", "id": "calc", "name": "Calc", "change": "changed"},
        {"process": "probe", "id": "fresh", "name": "New step", "change": "added"},
        {"process": "probe", "id": "gone", "name": "Old step", "change": "removed"},
    ]
    assert changes["forms"] == [{"name": "a.json", "change": "changed"}, {"name": "c.json", "change": "added"}]
    assert engine.compare_versions(old, old) == {"elements": [], "forms": []}
