"""Use cases across versions: replay closed instances through a version or draft, move running instances."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import definitions, migration, projection, replay
from engine.bpmn.definitions import Bundle
from engine.bpmn.runtime import Runtime
from engine.errors import (
    InvalidInput,
    StepFailed,
)
from engine.history import vault
from engine.messages import Message
from engine.people import access
from engine.people.actor import Actor
from engine.time import timers
from models import ProcessInstance, Task


def replay_check(rt: Runtime, key: str, bundle: Bundle | None = None, version: int | None = None,
                 limit: int = replay.DEFAULT_LIMIT) -> dict[str, Any]:
    """Run the last `limit` closed instances' recorded task data through a bundle (checked as deploying
    would) or a deployed version, in memory; per instance the same path, a different one, or a failure.
    Nothing is written."""
    s = rt.session
    if bundle is not None:
        spec, subprocess_specs = definitions.check(bundle, key)
        forms_of = bundle.forms
    else:
        if version is None:
            raise InvalidInput("Name what to replay.", {"version": [Message("Choose a version or send a bundle.")]})
        deployed = rt.definitions.version(s, key, version)
        spec, subprocess_specs, forms_of = deployed.spec, deployed.subprocess_specs, deployed.forms
    replayer = replay.Replayer(s, spec, subprocess_specs, forms_of, rt.script_engine, rt.tz)
    results = [replayer.replay(run) for run in replay.recorded_runs(s, key, limit)]
    return {"key": key, "version": version, "limit": limit, "summary": replay.summary(results),
            "results": results}


def migrate_instances(rt: Runtime, key: str, from_version: int, to_version: int, instances: list[str] | str,
                      dry_run: bool, actor: Actor) -> dict[str, Any]:
    """Move running instances between versions, one transaction each; the preview (dry run) says for each
    whether it can move and why not. A refused instance is left exactly as it was."""
    s = rt.session
    if from_version == to_version:
        raise InvalidInput("Nothing to move.", {"to_version": [Message("Choose a version other than the source.")]})
    source = rt.definitions.version(s, key, from_version)
    target = rt.definitions.version(s, key, to_version)
    chosen = _instances_to_move(s, source, instances)
    results = []
    for business_key, instance_id in chosen:
        if instance_id is None:
            results.append({"business_key": business_key, "can_move": False, "moved": False,
                            "reasons": [{"element": None, "reason": f"no running instance on version {from_version}"}]})
            continue
        results.append(_migrate_one(rt, instance_id, source, target, dry_run, actor))
    s.rollback()  # the preview read instances; leave nothing of them in the session
    moved = sum(1 for r in results if r["moved"])
    return {"key": key, "from_version": from_version, "to_version": to_version, "dry_run": dry_run,
            "summary": {"total": len(results), "can_move": sum(1 for r in results if r["can_move"]),
                        "moved": moved}, "instances": results}


def _instances_to_move(s: Session, source: definitions.Deployed,
                       instances: list[str] | str) -> list[tuple[str, int | None]]:
    running = select(ProcessInstance.business_key, ProcessInstance.id).where(
        ProcessInstance.definition_id == source.id, ProcessInstance.status != "completed")
    if instances == "all":
        return [(k, i) for k, i in s.execute(running.order_by(ProcessInstance.id))]
    found = {k: i for k, i in s.execute(running.where(ProcessInstance.business_key.in_(instances)))}
    return [(k, found.get(k)) for k in dict.fromkeys(instances)]


def _recorded_forms(s: Session, instance_id: int) -> migration.Recorded:
    """The form data each completed task of an instance was given, by task id, from its history."""
    by_task = {e.task_id: (dict(replay.history_data(e).get("form") or {}), replay.aware(e.at))
               for e in vault.opened_events(s, [instance_id], ("task_completed",))}
    return by_task.get


def _migrate_one(rt: Runtime, instance_id: int, source: definitions.Deployed, target: definitions.Deployed,
                 dry_run: bool, actor: Actor) -> dict[str, Any]:
    with rt.transaction() as s:
        instance = s.get(ProcessInstance, instance_id) if dry_run else access.lock_instance(s, instance_id)
        assert instance is not None
        answer: dict[str, Any] = {"business_key": instance.business_key, "can_move": False, "moved": False,
                                  "reasons": []}
        if instance.definition_id != source.id:
            answer["reasons"] = [{"element": None, "reason": "moved to another version meanwhile"}]
            return answer
        workflow = rt.load(instance, source)
        reasons = migration.obstacles(workflow, target, _recorded_forms(s, instance.id),
                                      lambda src, v: access.known(s, src, v), rt.tz)
        answer.update(can_move=not reasons, reasons=reasons)
        if reasons or dry_run:
            return answer
        now = rt.clock()
        workflow = migration.move(workflow, target)
        try:
            rt.advance(s, instance, workflow, actor, now, lambda: None)
        except StepFailed as err:
            answer.update(can_move=False, reasons=[{"element": None, "reason": err.message}],
                          incident=err.incident_id)
            return answer
        instance.definition_id = target.id
        _refresh_open_tasks(s, instance, workflow, target)
        projection.record(s, instance, actor, "migrated", now, {
            "definition": target.key, "from_version": source.version, "to_version": target.version})
        rt.save(s, instance, workflow, target, actor, now)
        rt.note_armed(timers.move_dues(s, instance, workflow))
        timers.set_task_due_dates(s, instance)
        answer["moved"] = True
        return answer


def _refresh_open_tasks(s: Session, instance: ProcessInstance, workflow: Any, target: definitions.Deployed) -> None:
    """Open task rows kept across the move take the target's name, step and form for their element."""
    for row in s.scalars(select(Task).where(Task.instance_id == instance.id, Task.status == "open")):
        spiff_task = workflow.get_task_from_id(UUID(row.id))
        if spiff_task is None:
            continue
        spec = spiff_task.task_spec
        row.name = spec.bpmn_name or spec.bpmn_id
        row.step = spec.extensions.get("properties", {}).get("step")
        row.form = target.form_of(spec)[0]
