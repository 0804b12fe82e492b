"""The engine's one front door: every public method is a use case run as one transaction."""
from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import access, directory, forms, intake, notifications, projection, timers
from engine.actor import Actor
from engine.core import EngineSettings
from engine.definitions import Bundle
from engine.errors import ConcurrentUpdate, InvalidInput, TaskAssignedToOther, TaskNotOpen
from engine.public_use_cases import PublicUseCases
from engine.time_use_cases import TimeUseCases
from engine.transports import DeliveryError
from models import (
    ApiClient,
    Appeal,
    Complaint,
    IdempotencyRecord,
    Outbox,
    ProcessDefinition,
    ProcessInstance,
    Task,
    User,
)

__all__ = ["EngineSettings", "ProcessEngine"]


REGISTER_ATTEMPTS = 3


class ProcessEngine(TimeUseCases, PublicUseCases):
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
        for attempt in range(1, REGISTER_ATTEMPTS + 1):
            if idempotency is not None:
                earlier = intake.replay(self.session, *idempotency)
                if earlier is not None:
                    return earlier
            try:
                return self._register(data, actor, idempotency)
            except (IntegrityError, ConcurrentUpdate):
                # Another request created the same counterparty or key at the same moment: the next
                # attempt finds it. Anything else is not ours to retry.
                self.session.rollback()
                if attempt == REGISTER_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _register(self, data: intake.AppealInput, actor: Actor,
                  idempotency: tuple[int, str, str] | None) -> tuple[Appeal, Complaint | None]:
        with self._transaction() as s:
            now = self.clock()
            appeal, complaint = self._register_in(s, data, actor, now)
            if idempotency is not None:
                s.add(IdempotencyRecord(client_id=idempotency[0], key=idempotency[1], request_hash=idempotency[2],
                                        status=201, body={"appeal": appeal.number}, created_at=now))
            return appeal, complaint

    def deliver_outbox(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Send what is due in the outbox; returns how many were sent, retried and failed."""
        now = now or self.clock()
        counts = {"sent": 0, "retry": 0, "failed": 0}
        if self.delivery.smtp is None and self.delivery.telegram is None:
            return counts  # nothing to send with: rows wait in the outbox until a transport is configured
        with self._transaction() as s:
            batch = [row.id for row in notifications.claim_batch(s, now)]
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
