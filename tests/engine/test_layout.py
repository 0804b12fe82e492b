"""The shipped diagrams carry a layout for bpmn-js and Camunda Modeler, and the layout changes nothing that runs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine import Bundle
from engine.bpmn.definitions import check
from engine.bpmn.persistence import spec_to_json

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DRAWN = ("Event", "Task", "Gateway", "callActivity", "sequenceFlow")


def _without_layout(text: str) -> str:
    root = etree.fromstring(text.encode())
    for diagram in root.findall(f"{DI}BPMNDiagram"):
        root.remove(diagram)
    return etree.tostring(root, encoding="unicode")


def _unordered(value: Any) -> Any:
    # SpiffWorkflow orders a gateway's outgoing flows by the y of their targets; the order only matters
    # between conditions, and every shipped gateway has one condition plus the default.
    if isinstance(value, dict):
        return {k: _unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_unordered(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_element_is_drawn(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    elements = {e.get("id") for e in root.iter(f"{BPMN}*")
                if e.get("id") and e.tag.removeprefix(BPMN).endswith(DRAWN)}
    drawn = {e.get("bpmnElement") for e in root.iter(f"{DI}BPMNShape", f"{DI}BPMNEdge")}
    assert elements and elements <= drawn
    assert drawn <= {e.get("id") for e in root.iter() if e.get("id")}


def test_layout_changes_nothing_that_runs() -> None:
    shipped = Bundle.from_directory(PROCESSES)
    bare = Bundle({name: _without_layout(text) for name, text in shipped.bpmn.items()}, shipped.forms)
    with_layout = json.loads(spec_to_json(*check(shipped, "complaint")))
    without = json.loads(spec_to_json(*check(bare, "complaint")))
    assert _unordered(with_layout) == _unordered(without)
    gateways = with_layout["subprocess_specs"]["complaint_stage1"]["task_specs"]
    assert all(sum(c["condition"] is not None for c in spec.get("cond_task_specs", [])) <= 1
               for spec in gateways.values())


def test_spiffworkflow_reads_the_extensions_of_the_laid_out_files() -> None:
    shipped = Bundle.from_directory(PROCESSES)
    spec, subprocesses = check(shipped, "complaint")
    specs = [t for process in (spec, *subprocesses.values()) for t in process.task_specs.values()]
    forms = {t.bpmn_id: t.extensions["properties"]["form"] for t in specs if type(t).__name__ == "UserTask"}
    deadlines = {t.bpmn_id: t.extensions["properties"]["deadline"] for t in specs
                 if "deadline" in getattr(t, "extensions", {}).get("properties", {})}
    assert len(forms) == 13 and set(forms.values()) == set(shipped.forms)
    assert forms["accept"] == "accept.json"
    written = sum(text.count('name="deadline"') for text in shipped.bpmn.values())
    assert len(deadlines) == written and set(deadlines.values()) == {"goal", "warning", "breach"}
