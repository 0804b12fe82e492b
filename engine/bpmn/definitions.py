"""Process definitions: parse and check diagrams, store each version once by hash, cache parsed specs."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import checks
from engine.bpmn import forms as form_rules
from engine.bpmn.checks import Rules, code_of
from engine.bpmn.persistence import spec_from_json, spec_to_json
from engine.bpmn.scripting import compile_expression, compile_script
from engine.errors import DefinitionNotFound, InvalidDefinition, VersionNotFound
from engine.messages import Message
from models import ProcessDefinition

SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Bundle:
    """The files of one deployment: BPMN sources by file name and form schemas by file name."""

    bpmn: dict[str, str]
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, path: Path) -> Bundle:
        bpmn = {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.bpmn"))}
        forms = {p.name: json.loads(p.read_text(encoding="utf-8"))
                 for p in sorted((path / "forms").glob("*.json"))}
        return cls(bpmn, forms)


@dataclass(frozen=True)
class Deployed:
    """A stored definition version with its parsed spec, ready to run."""

    id: int
    key: str
    version: int
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, dict[str, Any]]

    def form_of(self, task_spec: Any) -> tuple[str | None, dict[str, Any] | None]:
        name = task_spec.extensions.get("properties", {}).get("form")
        return name, (self.forms.get(name) if name else None)


def _parse(bundle: Bundle, key: str) -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    problems: list[dict[str, str]] = []
    for name, text in bundle.bpmn.items():
        try:
            root = etree.fromstring(text.encode("utf-8"), parser=SAFE_XML)
            if root.getroottree().docinfo.doctype:
                # Diagrams arrive from the browser and the API: no DTD, so no entity expansion or external files.
                problems.append({"file": name, "line": "1", "message": "A DOCTYPE is not allowed in a diagram."})
                continue
            parser.add_bpmn_xml(root, filename=name)
        except etree.XMLSyntaxError as err:
            problems.append({"file": name, "line": str(err.lineno), "message": str(err)})
        except ValidationException as err:
            problems.append({"file": err.file_name or name, "line": str(err.line_number),
                             "element": err.id, "message": str(err)})
    if problems:
        raise InvalidDefinition("The diagrams do not parse.", problems)
    try:
        return parser.get_spec(key), parser.get_subprocess_specs(key)
    except ValidationException as err:
        raise InvalidDefinition("The diagrams do not fit together.", [
            {"file": err.file_name, "line": str(err.line_number), "element": err.id, "message": str(err)}
        ]) from err


def check(bundle: Bundle, key: str, rules: Rules | None = None) -> tuple[Any, dict[str, Any]]:
    """Parse and check everything a deployment would run; raise InvalidDefinition listing all problems.
    With `rules` (what the running engine provides) also: known helpers, forms, lanes, timers, loops."""
    spec, subprocess_specs = _parse(bundle, key)
    problems: list[dict[str, str]] = []
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            for kind, source in code_of(task_spec):
                try:
                    (compile_script if kind == "script" else compile_expression)(source)
                except SyntaxError as err:
                    problems.append({"file": process.file, "element": element,
                                     "message": f"{checks.LABELS[kind]} is not allowed: {err}"})
            if isinstance(task_spec, UserTask):
                form = task_spec.extensions.get("properties", {}).get("form")
                if form and form not in bundle.forms:
                    problems.append({"file": process.file, "element": element,
                                     "message": f"form {form} is not in the bundle"})
    bad_forms: set[str] = set()
    for name, schema in bundle.forms.items():
        try:
            form_rules.check_schema(schema)
        except Exception as err:
            # jsonschema raises several error types for a bad schema; each becomes a reported problem.
            problems.append({"file": f"forms/{name}", "message": str(err).splitlines()[0]})
            bad_forms.add(name)
    if rules is not None:
        problems += checks.problems([spec, *subprocess_specs.values()], bundle.bpmn, bundle.forms, bad_forms, rules)
    if problems:
        raise InvalidDefinition("The diagrams have errors.", problems)
    return spec, subprocess_specs


class Definitions:
    """Deployed versions in the database, and a cache of their parsed specs by id."""

    def __init__(self) -> None:
        self._cache: dict[int, Deployed] = {}

    def deploy(self, session: Session, key: str, bundle: Bundle, actor: str,
               comment: str | None = None, rules: Rules | None = None) -> ProcessDefinition:
        spec, subprocess_specs = check(bundle, key, rules)
        spec_json = spec_to_json(spec, subprocess_specs)
        forms_json = json.dumps(bundle.forms, sort_keys=True, ensure_ascii=False)
        sha = hashlib.sha256((spec_json + forms_json).encode()).hexdigest()
        existing = session.scalar(select(ProcessDefinition).where(ProcessDefinition.sha256 == sha))
        if existing is not None:
            return existing
        latest = session.scalar(select(func.max(ProcessDefinition.version))
                                .where(ProcessDefinition.key == key)) or 0
        row = ProcessDefinition(key=key, version=latest + 1, name=spec.description or key, sha256=sha,
                                spec_json=spec_json, sources={"bpmn": bundle.bpmn, "forms": bundle.forms},
                                deployed_by=actor, comment=comment)
        session.add(row)
        session.flush()
        return row

    def latest(self, session: Session, key: str) -> Deployed:
        row_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version.desc()).limit(1))
        if row_id is None:
            raise DefinitionNotFound(Message("No process definition {key} is deployed.", key=key))
        return self.get(session, row_id)

    def version(self, session: Session, key: str, version: int) -> Deployed:
        row_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key,
                                                                   ProcessDefinition.version == version))
        if row_id is None:
            raise VersionNotFound(Message("No version {version} of process {key}.", version=version, key=key))
        return self.get(session, row_id)

    def get(self, session: Session, definition_id: int) -> Deployed:
        if definition_id not in self._cache:
            row = session.get(ProcessDefinition, definition_id)
            if row is None:
                raise DefinitionNotFound(f"No process definition with id {definition_id}.")
            spec, subprocess_specs = spec_from_json(row.spec_json)
            self._cache[definition_id] = Deployed(row.id, row.key, row.version, spec, subprocess_specs,
                                                  row.sources.get("forms", {}))
        return self._cache[definition_id]
