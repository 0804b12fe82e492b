"""The engine's one front door: every public method is a use case run as one transaction."""
from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import access, deadlines, directory, forms, intake, notifications, projection, timers
from engine.actor import Actor
from engine.core import EngineCore, EngineSettings
from engine.definitions import Bundle
from engine.errors import Conflict, IncidentNotFound, InvalidInput, StepFailed, TaskAssignedToOther, TaskNotOpen
from engine.transports import DeliveryError
from models import (
    ApiClient,
    Appeal,
    Complaint,
    IdempotencyRecord,
    Incident,
    Outbox,
    ProcessDefinition,
    ProcessInstance,
    Task,
    User,
)

__all__ = ["EngineSettings", "ProcessEngine"]


class ProcessEngine(EngineCore):
    """The use cases. Each public method is one transaction: lock, load, act, advance, save, project."""

    # --- definitions -------------------------------------------------------------------------
    def deploy(self, key: str, bundle: Bundle, actor: Actor) -> ProcessDefinition:
        with self._transaction() as s:
            return self.definitions.deploy(s, key, bundle, actor.name)

    def deploy_processes(self, actor: Actor) -> ProcessDefinition:
        """Deploy the complaint process from the diagrams in the processes folder (no-op if unchanged)."""
        return self.deploy(self.settings.complaint_process, Bundle.from_directory(self.settings.processes_dir),
                           actor)

    # --- use cases ---------------------------------------------------------------------------
    def register_appeal(self, data: intake.AppealInput, actor: Actor,
                        idempotency: tuple[int, str, str] | None = None) -> tuple[Appeal, Complaint | None]:
        """Register an appeal (and open its complaint). With `idempotency` = (client id, key, request hash)
        a retry of the same request returns the appeal registered the first time."""
        if idempotency is not None:
            earlier = intake.replay(self.session, *idempotency)
            if earlier is not None:
                return earlier
        try:
            return self._register(data, actor, idempotency)
        except IntegrityError:
            if idempotency is None:
                raise
            earlier = intake.replay(self.session, *idempotency)
            if earlier is None:
                raise
            return earlier

    def _register(self, data: intake.AppealInput, actor: Actor,
                  idempotency: tuple[int, str, str] | None) -> tuple[Appeal, Complaint | None]:
        with self._transaction() as s:
            now = self.clock()
            appeal, complaint = intake.register(s, data, actor, now, self.tz, self.settings.qms_department,
                                               self.settings.attachments_dir)
            if complaint is not None:
                variables = {
                    "complaint_number": complaint.number,
                    "department": complaint.department.code if complaint.department else None,
                    "received_at": complaint.registered_at.isoformat(),
                    "importance": complaint.importance, "kind": complaint.kind,
                    "max_reassignments": self.settings.max_reassignments,
                    "max_contact_attempts": self.settings.max_contact_attempts,
                    "max_rounds": self.settings.max_rounds,
                    "warning_fraction": self.settings.warning_fraction,
                }
                deployed = self.definitions.latest(s, self.settings.complaint_process)
                planned = deadlines.what_if(deployed, self.script_engine, complaint.registered_at,
                                            self.calendars.current(), self.settings.warning_fraction)
                timers.plan_deadlines(s, complaint, planned)
                timers.warn_provisional(s, planned["provisional_years"], self.settings.qms_department, now)
                self._start(s, deployed, complaint.number or "", variables, actor, now)
                if data.contact_email:
                    answer_by = next((st["due_at"] for st in planned["steps"] if st["code"] == "1.3"), None)
                    notifications.enqueue(s, "ack_client", f"email:{data.contact_email}", f"ack:{appeal.number}", {
                        "number": appeal.number, "complaint_number": complaint.number,
                        "answer_by": self._local_date(answer_by)}, now, complaint.number)
            if idempotency is not None:
                s.add(IdempotencyRecord(client_id=idempotency[0], key=idempotency[1], request_hash=idempotency[2],
                                        status=201, body={"appeal": appeal.number}, created_at=now))
            return appeal, complaint

    def _local_date(self, iso: str | None) -> str:
        if not iso:
            return "—"
        return dt.datetime.fromisoformat(iso).astimezone(self.tz).strftime("%d.%m.%Y")

    def deliver_outbox(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Send what is due in the outbox; returns how many were sent, retried and failed."""
        now = now or self.clock()
        with self._transaction() as s:
            batch = [row.id for row in notifications.claim_batch(s, now)]
        counts = {"sent": 0, "retry": 0, "failed": 0}
        for row_id in batch:
            with self._transaction() as s:
                row = s.get(Outbox, row_id)
                error = None
                try:
                    notifications.send(s, row, self.delivery)
                except DeliveryError as err:
                    error = err
                notifications.settle(row, error, self.clock())
                counts["sent" if row.status == "sent" else "retry" if row.status == "pending" else "failed"] += 1
        return counts

    def set_template(self, kind: str, subject: str, body: str, actor: Actor) -> None:
        with self._transaction() as s:
            notifications.set_template(s, kind, subject, body, actor.name, self.clock())

    def start(self, key: str, business_key: str, variables: dict[str, Any], actor: Actor) -> ProcessInstance:
        with self._transaction() as s:
            deployed = self.definitions.latest(s, key)
            return self._start(s, deployed, business_key, variables, actor, self.clock())

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Actor,
                      files: dict[str, intake.NewFile] | None = None) -> Task:
        """Complete a human task with form data; `files` (field → upload) are attached to the complaint's
        appeal in the same transaction and referenced from the data as "attachment:ID"."""
        with self._transaction() as s:
            now = self.clock()
            row = access.open_task(s, task_id)
            access.check_may_work(s, row, actor)
            instance = access.lock_instance(s, row.instance_id)
            s.refresh(row)
            if row.status != "open":
                raise TaskNotOpen(f"Task {task_id} is already {row.status}.")
            deployed = self.definitions.get(s, instance.definition_id)
            workflow = self._load(instance, deployed)
            spiff_task = workflow.get_task_from_id(UUID(task_id))
            if spiff_task is None or spiff_task.state != TaskState.READY:
                raise TaskNotOpen(f"Task {task_id} is not ready in its process.")
            _name, schema = deployed.form_of(spiff_task.task_spec)
            data = {**data, **self._attach(s, row, files or {}, actor, now)}
            forms.validate(schema or {"type": "object"}, data, lambda src, v: access.known(s, src, v))
            before = dict(spiff_task.data)
            stamps = {**before.get("step_completed_at", {}), **({row.step: now.isoformat()} if row.step else {})}

            def complete() -> None:
                spiff_task.set_data(**data, step_completed_at=stamps)
                spiff_task.run()

            self._advance(s, instance, workflow, actor, now, complete)
            row.status, row.completed_at, row.completed_by = "completed", now, actor.name
            timers.complete_step(s, row.business_key, row.step, row.created_at, self.calendars.current(), now)
            after = projection.current_data(workflow)
            projection.record(s, instance, actor, "task_completed", now,
                              {"form": data, "changed": projection.changes({**before, **data}, after)}, row)
            self._save(s, instance, workflow, deployed, actor, now)
            return row

    def _attach(self, s: Session, row: Task, files: dict[str, intake.NewFile], actor: Actor,
                now: dt.datetime) -> dict[str, str]:
        if not files:
            return {}
        complaint = s.scalar(select(Complaint).where(Complaint.number == row.business_key))
        if complaint is None:
            raise InvalidInput("Files need a complaint.", {k: ["This process has no complaint to attach to."]
                                                          for k in files})
        stored = intake.store_files(s, complaint.appeal_id, tuple(files.values()), self.settings.attachments_dir,
                                    actor, now)
        return {name: f"attachment:{a.id}" for name, a in zip(files, stored, strict=True)}

    def claim(self, task_id: str, actor: Actor) -> Task:
        with self._transaction() as s:
            if actor.user_id is None:
                raise InvalidInput("Claiming needs a user.", {"user": ["Name the user who claims the task."]})
            row = access.open_task(s, task_id)
            if row.assignee_id not in (None, actor.user_id):
                raise TaskAssignedToOther(f"Task {task_id} is assigned to {row.assignee.full_name}.")
            access.check_may_work(s, row, actor)
            return self._set_assignee(s, row, s.get(User, actor.user_id), actor, "task_claimed", None)

    def assign(self, task_id: str, login: str, actor: Actor, reason: str | None) -> Task:
        with self._transaction() as s:
            row = access.open_task(s, task_id)
            user = s.scalar(select(User).where(User.login == login, User.active.is_(True)))
            if user is None:
                raise InvalidInput("Unknown user.", {"user": [f"No active user {login}."]})
            return self._set_assignee(s, row, user, actor, "task_assigned", reason)

    # --- directory -----------------------------------------------------------------------------
    def create_user(self, login: str, full_name: str, password: str, roles: list[str],
                    departments: list[str], email: str | None = None) -> User:
        with self._transaction() as s:
            return directory.create_user(s, login, full_name, password, roles, departments, email)

    def create_api_client(self, name: str, scopes: list[str], user_login: str | None,
                          channels: list[str] | None = None) -> tuple[ApiClient, str]:
        with self._transaction() as s:
            return directory.create_api_client(s, name, scopes, user_login, channels)

    def revoke_api_client(self, name: str) -> ApiClient:
        with self._transaction() as s:
            return directory.revoke_api_client(s, name)

    def upsert_responsibles(self, specs: list[directory.ResponsibleSpec], qms_code: str) -> None:
        with self._transaction() as s:
            for spec in specs:
                directory.upsert_responsible(s, spec, is_qms=spec.department_code == qms_code)

    # --- reads ---------------------------------------------------------------------------------
    def task_data(self, row: Task) -> dict[str, Any]:
        """The process variables a task sees, to prefill its form (read only)."""
        instance = self.session.get(ProcessInstance, row.instance_id)
        if instance is None:
            return {}
        workflow = self._load(instance, self.definitions.get(self.session, instance.definition_id))
        spiff_task = workflow.get_task_from_id(UUID(row.id))
        return dict(spiff_task.data) if spiff_task is not None else {}

    def form_schema(self, row: Task) -> dict[str, Any] | None:
        instance = self.session.get(ProcessInstance, row.instance_id)
        if instance is None or row.form is None:
            return None
        return self.definitions.get(self.session, instance.definition_id).forms.get(row.form)

    # --- timers and working time ---------------------------------------------------------------
    def fire_due_timers(self, now: dt.datetime | None = None) -> list[str]:
        """Fire every timer due before `now`; one instance per transaction. Returns the business keys
        advanced. A failing instance opens an incident and the others still fire."""
        now = now or self.clock()
        instance_ids = list(self.session.scalars(timers.due_timers_query(now)))
        self.session.commit()
        fired = []
        for instance_id in instance_ids:
            try:
                with self._transaction() as s:
                    if self._fire_instance(s, instance_id, now):
                        fired.append(s.get(ProcessInstance, instance_id).business_key)
            except StepFailed:
                with self._transaction() as s:
                    timers.mark_failed(s, instance_id, now)
        return fired

    def _fire_instance(self, s: Session, instance_id: int, now: dt.datetime) -> bool:
        if not timers.claim_due(s, instance_id, now):
            return False
        instance = access.lock_instance(s, instance_id)
        deployed = self.definitions.get(s, instance.definition_id)
        workflow = self._load(instance, deployed)
        actor, fired_at = Actor("scheduler"), max(self.clock(), now)
        self._advance(s, instance, workflow, actor, fired_at, workflow.refresh_timers)
        self._save(s, instance, workflow, deployed, actor, fired_at)
        return True

    def retry_incident(self, incident_id: int, actor: Actor) -> Incident:
        """Run the instance on from its last saved state (re-arming failed timers); on success the incident
        is resolved, on failure it stays open and StepFailed names the new incident."""
        with self._transaction() as s:
            incident = s.get(Incident, incident_id)
            if incident is None or incident.instance_id is None:
                raise IncidentNotFound(f"No incident {incident_id} with an instance.")
            if incident.resolved_at is not None:
                raise Conflict(f"Incident {incident_id} is already resolved.")
            now = self.clock()
            instance = access.lock_instance(s, incident.instance_id)
            deployed = self.definitions.get(s, instance.definition_id)
            workflow = self._load(instance, deployed)
            timers.rearm_failed(s, instance.id)
            self._advance(s, instance, workflow, actor, now, workflow.refresh_timers)
            incident.resolved_at, incident.resolved_by = now, actor.name
            if instance.status == "incident":
                instance.status = "active"
            projection.record(s, instance, actor, "incident_resolved", now, {"incident": incident_id})
            self._save(s, instance, workflow, deployed, actor, now)
            return incident

    def pending_timer_dues(self) -> list[dt.datetime]:
        return timers.pending_dues(self.session)

    def what_if(self, received_at: dt.datetime) -> dict[str, Any]:
        """Every step deadline that a registration at `received_at` would get, from the deployed diagrams."""
        deployed = self.definitions.latest(self.session, self.settings.complaint_process)
        return deadlines.what_if(deployed, self.script_engine, received_at, self.calendars.current(),
                                 self.settings.warning_fraction)

    def set_calendar_override(self, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                              actor: Actor) -> None:
        with self._transaction() as s:
            deadlines.set_override(s, day, kind, periods, note, actor.name, self.clock())

    def remove_calendar_override(self, day: dt.date, actor: Actor) -> None:
        with self._transaction() as s:
            deadlines.remove_override(s, day, actor.name, self.clock())
