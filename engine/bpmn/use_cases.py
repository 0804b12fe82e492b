"""Use cases of the BPMN runtime: deploying definitions, starting instances, working on tasks, incidents."""
from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import column_checks
from engine.bpmn import compare, definitions, diagram, drafts, forms, locking, projection, step_rules, walk
from engine.bpmn import rows as instance_rows
from engine.bpmn.checks import Rules
from engine.bpmn.definitions import Bundle
from engine.bpmn.runtime import Runtime
from engine.bpmn.scripting import GUARDS
from engine.errors import (
    Conflict,
    IncidentNotFound,
    InstanceNotFound,
    InvalidInput,
    TaskAssignedToOther,
    TaskNotOpen,
)
from engine.intake import appeals
from engine.intake.file_types import upload_problems as file_problems
from engine.messages import Message
from engine.people import access
from engine.people.actor import Actor
from engine.time import deadlines, timers
from models import Complaint, Incident, ProcessDefinition, ProcessInstance, Task, User


def rules(rt: Runtime) -> Rules:
    """What this engine provides to diagrams: its helpers and sandbox builtins, the lanes it routes, and its
    script engine to try timer expressions on the variables a complaint starts with."""
    settings, now = rt.settings, rt.clock()
    environment = rt.script_engine.environment
    calendar = rt.calendars.current()
    for year in (now.year, now.year + 1):
        # The holidays package computes a year on first use: do it here, not inside the timed sandbox.
        calendar.provisional(year)
    # The variables intake seeds a complaint's process with (engine/intake/use_cases.py), with sample values.
    start = {"complaint_number": "SAMPLE-1", "department": settings.qms_department, "received_at": now.isoformat(),
             "importance": "high", "kind": "quality", "max_reassignments": settings.max_reassignments,
             "max_contact_attempts": settings.max_contact_attempts, "max_rounds": settings.max_rounds,
             "warning_fraction": settings.warning_fraction}
    return Rules(helpers=frozenset(environment.globals) | frozenset(GUARDS["__builtins__"]),
                 lanes=frozenset(settings.lane_groups) | frozenset(settings.department_lanes),
                 evaluate=environment.evaluate, sample=start, now=now)


def deploy(rt: Runtime, key: str, bundle: Bundle, actor: Actor, comment: str | None = None) -> ProcessDefinition:
    with rt.transaction() as s:
        return rt.definitions.deploy(s, key, bundle, actor.name, comment, rules(rt))


def validate(rt: Runtime, key: str, bundle: Bundle) -> None:
    """Check a bundle as deploying would (nothing is written); raise InvalidDefinition listing every problem."""
    with deadlines.department_calendar(None):
        definitions.check(bundle, key, rules(rt))


def save_draft(rt: Runtime, key: str, bundle: Bundle, comment: str | None, base_version: int | None,
               actor: Actor) -> dict[str, Any]:
    """Keep an unfinished edit (not validated: a draft may be broken while the owner works on it)."""
    with rt.transaction() as s:
        return drafts.as_dict(drafts.save(s, key, bundle, comment, base_version, actor.name, rt.clock()))


def load_draft(rt: Runtime, key: str) -> dict[str, Any] | None:
    """The saved draft of a process in the deployment's shape ({"bpmn", "forms", "comment"} and who saved
    it when), or None (read only)."""
    row = drafts.find(rt.session, key)
    return drafts.as_dict(row) if row is not None else None


def discard_draft(rt: Runtime, key: str) -> bool:
    with rt.transaction() as s:
        return drafts.discard(s, key)


def deploy_draft(rt: Runtime, key: str, bundle: Bundle, actor: Actor, comment: str | None) -> ProcessDefinition:
    """Deploy what the modeler shows and drop the draft in the same transaction: nothing is left half done."""
    with rt.transaction() as s:
        row = rt.definitions.deploy(s, key, bundle, actor.name, comment, rules(rt))
        drafts.discard(s, key)
        return row


def compare_versions(rt: Runtime, old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Elements and forms added, removed or changed between two versions' files (read only)."""
    return compare.compare(old, new)


def deploy_processes(rt: Runtime, actor: Actor) -> ProcessDefinition:
    """Deploy the complaint process from the diagrams in the processes folder (no-op if unchanged)."""
    return deploy(rt, rt.settings.complaint_process, Bundle.from_directory(rt.settings.processes_dir), actor)


def start(rt: Runtime, key: str, business_key: str, variables: dict[str, Any], actor: Actor) -> ProcessInstance:
    with rt.transaction() as s:
        deployed = rt.definitions.latest(s, key)
        return rt.start_in(s, deployed, business_key, variables, actor, rt.clock())


def complete_task(rt: Runtime, task_id: str, data: dict[str, Any], actor: Actor,
                  files: dict[str, appeals.NewFile] | None = None) -> Task:
    """Complete a human task with form data; `files` (field → upload) are attached to the complaint's
    appeal in the same transaction and referenced from the data as "attachment:ID". Run again when the
    database breaks a deadlock."""
    return rt.retrying(lambda: _complete_task(rt, task_id, data, actor, files))


def _complete_task(rt: Runtime, task_id: str, data: dict[str, Any], actor: Actor,
                   files: dict[str, appeals.NewFile] | None) -> Task:
    with rt.transaction() as s:
        now = rt.clock()
        row, instance, complaint = locking.lock_task_to_work(s, task_id)
        instance_rows.remember_complaint(s, instance.business_key, complaint)
        access.check_may_work(s, row, actor)
        deployed = rt.definitions.get(s, instance.definition_id)
        workflow = rt.load(instance, deployed)
        known = instance_rows.of(s, instance)  # before anything changes: a read here flushes nothing
        spiff_task = workflow.get_task_from_id(UUID(task_id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise TaskNotOpen(Message("Task {task} is not ready in its process.", task=task_id))
        _name, schema = deployed.form_of(spiff_task.task_spec)
        if problems := column_checks.nested_problems(data):
            raise InvalidInput("The form has characters that cannot be stored.", problems)
        data = {**data, **_attach(rt, s, row, files or {}, actor, now)}
        before = dict(spiff_task.data)
        forms.validate(schema or {"type": "object"}, data, lambda src, v: access.known(s, src, v),
                       now.astimezone(rt.tz).date(), before)
        step_rules.check(row.bpmn_id, data, before)
        stamps = {**before.get("step_completed_at", {}), **({row.step: now.isoformat()} if row.step else {})}

        def complete() -> None:
            spiff_task.set_data(**data, step_completed_at=stamps)
            spiff_task.run()

        rt.advance(s, instance, workflow, actor, now, complete)
        row.status, row.completed_at, row.completed_by = "completed", now, actor.name
        timers.complete_step(known, row.step, row.created_at, rt.calendars.current(), now)
        ready = walk.ready_human_tasks(workflow)
        after = projection.current_data(workflow, ready)
        projection.record(s, instance, actor, "task_completed", now,
                          {"form": data, "changed": projection.changes({**before, **data}, after)}, row)
        rt.save(s, instance, workflow, deployed, actor, now, ready)
        return row


def _attach(rt: Runtime, s: Session, row: Task, files: dict[str, appeals.NewFile], actor: Actor,
            now: dt.datetime) -> dict[str, str]:
    if not files:
        return {}
    rules = rt.settings.public
    refused = {name: found for name, f in files.items()
               if (found := file_problems((f,), rules.allowed_file_types, rules.max_file_bytes))}
    if refused:
        raise InvalidInput("Some files are refused.", refused)
    complaint = s.scalar(select(Complaint).where(Complaint.number == row.business_key))
    if complaint is None:
        raise InvalidInput("Files need a complaint.", {k: [Message("This process has no complaint to attach to.")]
                                                      for k in files})
    stored = appeals.store_files(s, complaint.appeal_id, tuple(files.values()), rt.settings.attachments_dir,
                                 actor, now)
    return {name: f"attachment:{a.id}" for name, a in zip(files, stored, strict=True)}


def claim(rt: Runtime, task_id: str, actor: Actor) -> Task:
    with rt.transaction() as s:
        if actor.user_id is None:
            raise InvalidInput("Claiming needs a user.", {"user": [Message("Name the user who claims the task.")]})
        row, _instance = access.lock_open_task(s, task_id)
        if row.assignee_id not in (None, actor.user_id):
            raise TaskAssignedToOther(Message("Task {task} is assigned to {name}.", task=task_id,
                                              name=row.assignee.full_name))
        access.check_may_work(s, row, actor)
        return rt.set_assignee(s, row, s.get(User, actor.user_id), actor, "task_claimed", None)


def assign(rt: Runtime, task_id: str, login: str, actor: Actor, reason: str | None) -> Task:
    with rt.transaction() as s:
        row, _instance = access.lock_open_task(s, task_id)
        user = s.scalar(select(User).where(User.login == login, User.active.is_(True)))
        if user is None:
            raise InvalidInput("Unknown user.", {"user": [Message("No active user {login}.", login=login)]})
        access.check_may_assign(s, row, actor, user)
        return rt.set_assignee(s, row, user, actor, "task_assigned", reason)


def retry_incident(rt: Runtime, incident_id: int, actor: Actor) -> Incident:
    """Run the instance on from its last saved state (re-arming failed timers); on success the incident
    is resolved, on failure it stays open and StepFailed names the new incident."""
    with rt.transaction() as s:
        incident = s.get(Incident, incident_id)
        if incident is None or incident.instance_id is None:
            raise IncidentNotFound(Message("No incident {incident} with an instance.", incident=incident_id))
        if incident.resolved_at is not None:
            raise Conflict(Message("Incident {incident} is already resolved.", incident=incident_id))
        now = rt.clock()
        instance = access.lock_instance(s, incident.instance_id)
        deployed = rt.definitions.get(s, instance.definition_id)
        workflow = rt.load(instance, deployed)
        timers.rearm_failed(s, instance.id)
        rt.advance(s, instance, workflow, actor, now, workflow.refresh_timers)
        incident.resolved_at, incident.resolved_by = now, actor.name
        if instance.status == "incident":
            instance.status = "active"
        projection.record(s, instance, actor, "incident_retried", now,
                          {"incident": incident_id, "element": incident.element_id})
        rt.save(s, instance, workflow, deployed, actor, now)
        return incident


def resolve_incident(rt: Runtime, incident_id: int, comment: str, actor: Actor) -> Incident:
    """Close an incident by hand with a comment saying what was done (nothing is run)."""
    with rt.transaction() as s:
        incident = s.get(Incident, incident_id)
        if incident is None:
            raise IncidentNotFound(Message("No incident {incident}.", incident=incident_id))
        if not comment.strip():
            raise InvalidInput("Say how the incident was resolved.", {"comment": [Message("Write a comment.")]})
        if incident.resolved_at is not None:
            raise Conflict(Message("Incident {incident} is already resolved.", incident=incident_id))
        now = rt.clock()
        incident.resolved_at, incident.resolved_by, incident.resolution = now, actor.name, comment.strip()
        if incident.instance_id is not None:
            instance = access.lock_instance(s, incident.instance_id)
            projection.record(s, instance, actor, "incident_resolved", now,
                              {"incident": incident_id, "element": incident.element_id, "comment": comment.strip()})
        return incident


def instance_on_diagram(rt: Runtime, business_key: str) -> dict[str, Any]:
    """The newest instance of a business key with the state of every element it reached (read only)."""
    s = rt.session
    instance = s.scalar(select(ProcessInstance).where(ProcessInstance.business_key == business_key)
                        .order_by(ProcessInstance.id.desc()).limit(1))
    if instance is None:
        raise InstanceNotFound(Message("No process instance for {key}.", key=business_key))
    deployed = rt.definitions.get(s, instance.definition_id)
    workflow = rt.load(instance, deployed)
    return {"business_key": business_key, "status": instance.status,
            "definition": {"key": deployed.key, "version": deployed.version},
            "elements": diagram.elements(s, instance, workflow, deployed, rt.clock())}


def task_data(rt: Runtime, row: Task) -> dict[str, Any]:
    """The process variables a task sees, to prefill its form (read only)."""
    instance = rt.session.get(ProcessInstance, row.instance_id)
    if instance is None:
        return {}
    with deadlines.department_calendar(None):  # loading picks the department's calendar: not past this read
        workflow = rt.load(instance, rt.definitions.get(rt.session, instance.definition_id))
    spiff_task = workflow.get_task_from_id(UUID(row.id))
    return dict(spiff_task.data) if spiff_task is not None else {}


def form_schema(rt: Runtime, row: Task) -> dict[str, Any] | None:
    """The task's form: its definition version names it; the instance's state is not needed (nor read)."""
    if row.form is None:
        return None
    definition_id = rt.session.scalar(select(ProcessInstance.definition_id)
                                      .where(ProcessInstance.id == row.instance_id))
    return rt.definitions.get(rt.session, definition_id).forms.get(row.form) if definition_id else None
