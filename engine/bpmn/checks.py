"""What a deployment must satisfy beyond parsing: known helpers only, a form per user task, known lanes,
timer expressions that evaluate on sample data, and loops that a counter caps."""
from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.spiff.specs.defaults import UserTask

from engine.bpmn.bounds import ScriptLimitExceeded

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
Problem = dict[str, str]
LABELS = {"script": "script", "condition": "condition expression", "timer": "timer expression"}


@dataclass(frozen=True)
class Rules:
    """What the running engine provides: the names diagram code may call, the lanes it can route, and a way
    to evaluate a timer expression on sample process data (None skips that check)."""

    helpers: frozenset[str]
    lanes: frozenset[str]
    evaluate: Callable[[str, dict[str, Any]], Any] | None = None
    sample: Mapping[str, Any] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def code_of(task_spec: Any) -> list[tuple[str, str]]:
    """(kind, source) of every script, condition and timer expression an element runs."""
    code: list[tuple[str, str]] = []
    if isinstance(task_spec, ScriptTask) and task_spec.script:
        code.append(("script", task_spec.script))
    for attr in ("prescript", "postscript"):
        if getattr(task_spec, attr, None):
            code.append(("script", getattr(task_spec, attr)))
    for condition, _target in getattr(task_spec, "cond_task_specs", []):
        source = condition if isinstance(condition, str) else next(iter(getattr(condition, "args", ())), None)
        if isinstance(source, str):
            code.append(("condition", source))
    event = getattr(task_spec, "event_definition", None)
    if isinstance(task_spec, CatchingEvent) and getattr(event, "expression", None):
        code.append(("timer", event.expression))
    return code


def _tree(kind: str, source: str) -> ast.AST | None:
    try:
        return ast.parse(source if kind == "script" else source.strip(), mode="exec" if kind == "script" else "eval")
    except SyntaxError:
        return None  # the sandbox compile reports it


def unknown_calls(kind: str, source: str, known: Iterable[str]) -> list[str]:
    """Names called as functions that are neither helpers, allowed builtins, nor defined by the code itself."""
    tree = _tree(kind, source)
    if tree is None:
        return []
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.Lambda | ast.ClassDef)
               and hasattr(n, "name")}
    defined |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    allowed = set(known) | defined
    called = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return sorted({name for name in called if name not in allowed})


def _increments(source: str) -> set[str]:
    """Variables a script counts up: `x = x + 1` or `x += 1`."""
    tree = _tree("script", source)
    found: set[str] = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add):
            operands = {o.id for o in (node.value.left, node.value.right) if isinstance(o, ast.Name)}
            found |= {t.id for t in node.targets if isinstance(t, ast.Name) and t.id in operands}
    return found


def _compared(source: str) -> set[str]:
    tree = _tree("condition", source)
    return {n.id for c in ast.walk(tree) if isinstance(c, ast.Compare)
            for n in ast.walk(c) if isinstance(n, ast.Name)} if tree else set()


def _components(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Kosaraju, iterative: a diagram may be deeper than Python's recursion)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in graph:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(graph[root]))]
        while stack:
            node, rest = stack[-1]
            nxt = next((n for n in rest if n not in seen), None)
            if nxt is None:
                stack.pop()
                order.append(node)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(graph.get(nxt, []))))
    reverse: dict[str, list[str]] = {n: [] for n in graph}
    for node, outs in graph.items():
        for out in outs:
            reverse.setdefault(out, []).append(node)
    found: list[list[str]] = []
    assigned: set[str] = set()
    for root in reversed(order):
        if root in assigned:
            continue
        component, todo = [], [root]
        assigned.add(root)
        while todo:
            node = todo.pop()
            component.append(node)
            for prev in reverse.get(node, []):
                if prev not in assigned:
                    assigned.add(prev)
                    todo.append(prev)
        found.append(component)
    return found


def uncapped_loops(process: Any) -> list[list[Any]]:
    """Loops that run on their own with no cap. A gateway whose condition compares a counter that a script on
    the same loop counts up caps it (the shipped diagrams escalate after N rounds that way); a human task
    paces a loop, one round per person's decision. Both are taken out of the flow graph; whatever still goes
    round (scripts, gateways, timers) could spin until the task tree breaks."""
    specs = process.task_specs
    graph = {name: [o.name for o in spec.outputs] for name, spec in specs.items()}

    def loops(g: dict[str, list[str]]) -> list[list[str]]:
        return [c for c in _components(g) if len(c) > 1 or c[0] in g.get(c[0], [])]

    capping: set[str] = set()
    for component in loops(graph):
        counted = set().union(*(_increments(specs[n].script) for n in component
                                if isinstance(specs[n], ScriptTask) and specs[n].script))
        for name in component:
            if isinstance(specs[name], ExclusiveGateway) and any(
                    _compared(source) & counted for kind, source in code_of(specs[name]) if kind == "condition"):
                capping.add(name)
    capping |= {name for name, spec in specs.items() if getattr(spec, "manual", False)}
    cut = {n: [o for o in outs if o not in capping] for n, outs in graph.items() if n not in capping}
    return [[specs[n] for n in sorted(c)] for c in loops(cut)]


def _lanes(bundle_bpmn: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(file, lane id, lane name) of every lane; the files already parsed, so this does not fail."""
    found = []
    for name, text in bundle_bpmn.items():
        root = etree.fromstring(text.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
        found += [(name, lane.get("id", ""), (lane.get("name") or "").strip()) for lane in root.iter(f"{BPMN}lane")]
    return found


def check_timer(rules: Rules, task_spec: Any, source: str, sample: dict[str, Any]) -> str | None:
    """Evaluate a timer expression on sample data; the message when it fails or gives no usable time."""
    if rules.evaluate is None:
        return None
    try:
        value = rules.evaluate(source, dict(sample))
    except (Exception, ScriptLimitExceeded) as err:
        # Whatever the expression raises is the owner's problem to see, named with its element.
        return f"timer expression fails on sample data: {type(err).__name__}: {err}"
    if not isinstance(value, str):
        return f"timer expression gives {type(value).__name__}, not an ISO string"
    if isinstance(task_spec.event_definition, TimeDateEventDefinition):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return f"timer expression gives {value!r}, not an ISO date-time"
        if moment.tzinfo is None:
            return f"timer expression gives {value!r} without a UTC offset"
    return None


def problems(processes: Iterable[Any], bundle_bpmn: Mapping[str, str], forms: Mapping[str, Any],
             bad_forms: set[str], rules: Rules) -> list[Problem]:
    """Every rule broken, each named with its file and element."""
    found: list[Problem] = []
    processes = list(processes)
    steps = {t.extensions.get("properties", {}).get("step") for p in processes for t in p.task_specs.values()
             if isinstance(t, UserTask)} - {None}
    sample = sample_data(rules.sample, forms, steps, rules.now)
    for process in processes:
        for task_spec in process.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            if element is None:
                continue  # the parser's own start and end specs run no code of the owner
            where = {"file": process.file, "element": element}
            for kind, source in code_of(task_spec):
                for name in unknown_calls(kind, source, rules.helpers):
                    found.append({**where, "message": f"{LABELS[kind]} calls {name}(), which is not a known helper"})
                timer = kind == "timer" and isinstance(task_spec.event_definition, TimerEventDefinition)
                if timer and (message := check_timer(rules, task_spec, source, sample)):
                    found.append({**where, "message": message})
            if isinstance(task_spec, UserTask):
                form = task_spec.extensions.get("properties", {}).get("form")
                if not form:
                    found.append({**where, "message": "user task has no form"})
                elif form in bad_forms:
                    found.append({**where, "message": f"form {form} is not a valid JSON Schema"})
        for loop in uncapped_loops(process):
            named = [s.bpmn_id for s in loop if getattr(s, "bpmn_id", None)]
            if named:
                found.append({"file": process.file, "element": named[0],
                              "message": "loop through " + ", ".join(named) + " has no cap: count the rounds in a "
                                         "script and leave the loop at a gateway comparing that counter"})
    for file, lane_id, name in _lanes(bundle_bpmn):
        if name not in rules.lanes:
            found.append({"file": file, "element": lane_id,
                          "message": f"lane {name!r} maps to no group (known: {', '.join(sorted(rules.lanes))})"})
    return found


def sample_data(start: Mapping[str, Any], forms: Mapping[str, Any], steps: Iterable[str],
                now: dt.datetime) -> dict[str, Any]:
    """Process data a timer could see: the start variables, every form field with a value of its type, and a
    completion time for every step code."""
    by_type = {"boolean": True, "integer": 1, "number": 1, "string": "sample", "array": [], "object": {}}
    by_format = {"date-time": now.isoformat(), "date": (now + dt.timedelta(days=7)).date().isoformat()}
    data: dict[str, Any] = {}
    for schema in forms.values():
        for name, prop in (schema.get("properties") or {}).items() if isinstance(schema, dict) else ():
            if isinstance(prop, dict):
                kind = prop.get("type")
                data.setdefault(name, by_format.get(prop.get("format"), by_type.get(kind if isinstance(kind, str)
                                                                                     else "string")))
    data.update(start)
    data["step_completed_at"] = {code: now.isoformat() for code in steps}
    return data
