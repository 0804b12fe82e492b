"""The engine's one front door: every public method is a use case run as one transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import access, deadlines, directory, forms, intake, projection, timers
from engine.actor import Actor
from engine.calendar import DEFAULT_WEEK, Period
from engine.deadlines import CalendarSource
from engine.definitions import Bundle, Definitions, Deployed
from engine.errors import (
    ConcurrentUpdate,
    InvalidInput,
    StepFailed,
    TaskAssignedToOther,
    TaskNotOpen,
)
from engine.persistence import dump_workflow, load_workflow
from engine.running import StepError, open_incident, run_step
from engine.scripting import make_script_engine
from models import ApiClient, Appeal, Complaint, ProcessDefinition, ProcessInstance, Task, User, utcnow


@dataclass(frozen=True)
class EngineSettings:
    processes_dir: Path
    complaint_process: str = "complaint"
    qms_department: str = "СМК"
    lane_groups: dict[str, str] = field(default_factory=lambda: {"СМК": "СМК"})
    max_reassignments: int = 3
    max_contact_attempts: int = 3
    max_rounds: int = 3
    timezone: str = "Europe/Moscow"
    week: dict[int, tuple[Period, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    warning_fraction: float = 0.75


class ProcessEngine:
    def __init__(self, session: Session, settings: EngineSettings,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.definitions = Definitions()
        self.calendars = CalendarSource(session, settings.timezone, settings.week)
        self.script_engine = make_script_engine(deadlines.helpers(self.calendars.current))
        self.on_timer_armed: Callable[[dt.datetime], None] | None = None
        self._armed: list[dt.datetime] = []

    # --- definitions -------------------------------------------------------------------------
    def deploy(self, key: str, bundle: Bundle, actor: Actor) -> ProcessDefinition:
        with self._transaction() as s:
            return self.definitions.deploy(s, key, bundle, actor.name)

    def deploy_processes(self, actor: Actor) -> ProcessDefinition:
        """Deploy the complaint process from the diagrams in the processes folder (no-op if unchanged)."""
        return self.deploy(self.settings.complaint_process, Bundle.from_directory(self.settings.processes_dir),
                           actor)

    # --- use cases ---------------------------------------------------------------------------
    def register_appeal(self, data: intake.AppealInput, actor: Actor) -> tuple[Appeal, Complaint | None]:
        with self._transaction() as s:
            now = self.clock()
            appeal, complaint = intake.register(s, data, actor, now, self.tz, self.settings.qms_department)
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
                self._start(s, deployed, complaint.number or "", variables, actor, now)
            return appeal, complaint

    def start(self, key: str, business_key: str, variables: dict[str, Any], actor: Actor) -> ProcessInstance:
        with self._transaction() as s:
            deployed = self.definitions.latest(s, key)
            return self._start(s, deployed, business_key, variables, actor, self.clock())

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Actor) -> Task:
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

    def create_api_client(self, name: str, scopes: list[str], user_login: str | None) -> tuple[ApiClient, str]:
        with self._transaction() as s:
            return directory.create_api_client(s, name, scopes, user_login)

    def revoke_api_client(self, name: str) -> ApiClient:
        with self._transaction() as s:
            return directory.revoke_api_client(s, name)

    def upsert_responsibles(self, specs: list[directory.ResponsibleSpec], qms_code: str) -> None:
        with self._transaction() as s:
            for spec in specs:
                directory.upsert_responsible(s, spec, is_qms=spec.department_code == qms_code)

    # --- reads ---------------------------------------------------------------------------------
    def form_schema(self, row: Task) -> dict[str, Any] | None:
        instance = self.session.get(ProcessInstance, row.instance_id)
        if instance is None or row.form is None:
            return None
        return self.definitions.get(self.session, instance.definition_id).forms.get(row.form)

    # --- steps of the use cases --------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        s = self.session
        self._armed.clear()
        try:
            yield s
            s.commit()
            armed, self._armed = list(self._armed), []
            for due_at in armed:
                if self.on_timer_armed is not None:
                    self.on_timer_armed(due_at)
        except (StaleDataError, OperationalError) as err:
            s.rollback()
            if isinstance(err, OperationalError) and "locked" not in str(err):
                raise
            raise ConcurrentUpdate("Someone else changed this process at the same moment; reload.") from err
        except BaseException:
            s.rollback()
            raise

    def _start(self, s: Session, deployed: Deployed, business_key: str, variables: dict[str, Any],
               actor: Actor, now: dt.datetime) -> ProcessInstance:
        workflow = BpmnWorkflow(deployed.spec, deployed.subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(variables)
        instance = ProcessInstance(definition_id=deployed.id, business_key=business_key,
                                   state=dump_workflow(workflow), started_at=now, updated_at=now)
        s.add(instance)
        s.flush()
        projection.record(s, instance, actor, "started", now,
                          {"definition": deployed.key, "version": deployed.version, "variables": variables})
        try:
            run_step(workflow, lambda: None)
        except StepError as err:
            instance.status = "incident"
            incident = open_incident(s, instance.id, business_key, err, actor, now)
            projection.record(s, instance, actor, "incident_opened", now,
                              {"incident": incident.id, "message": err.message})
            return instance
        self._save(s, instance, workflow, deployed, actor, now)
        return instance

    def _advance(self, s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: Actor,
                 now: dt.datetime, step: Callable[[], Any]) -> None:
        """Run a step; on failure drop everything unsaved, open an incident and raise StepFailed."""
        try:
            run_step(workflow, step)
        except StepError as err:
            instance_id, key = instance.id, instance.business_key
            s.rollback()
            incident = open_incident(s, instance_id, key, err, actor, now)
            s.commit()
            raise StepFailed(f"The process failed at {err.element_id or 'a step'}: {err.message}",
                             incident.id) from err

    def _save(self, s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, deployed: Deployed,
              actor: Actor, now: dt.datetime) -> None:
        data = projection.current_data(workflow)
        instance.state = dump_workflow(workflow)
        instance.updated_at = now
        complaint = projection.complaint_of(s, instance)
        if complaint is not None:
            projection.project_complaint(s, instance, complaint, data, actor, now)
        projection.sync_tasks(s, instance, complaint, workflow, deployed, self.settings.lane_groups, actor, now)
        armed = timers.sync(s, instance, workflow, complaint, self.settings.qms_department, actor, now)
        self._armed.extend(t.due_at for t in armed)
        timers.set_task_due_dates(s, instance)
        if workflow.is_completed() and instance.status != "completed":
            instance.status, instance.ended_at = "completed", now
            projection.record(s, instance, actor, "completed", now)

    def _load(self, instance: ProcessInstance, deployed: Deployed) -> BpmnWorkflow:
        workflow = load_workflow(instance.state, deployed.spec, deployed.subprocess_specs)
        workflow.script_engine = self.script_engine
        return workflow

    def _set_assignee(self, s: Session, row: Task, user: User, actor: Actor, kind: str,
                      reason: str | None) -> Task:
        instance = access.lock_instance(s, row.instance_id)
        before = row.assignee.login if row.assignee else None
        row.assignee_id = user.id
        complaint = s.scalar(select(Complaint).where(Complaint.number == row.business_key))
        if complaint is not None and row.lane not in self.settings.lane_groups:
            complaint.responsible_user_id = user.id
        instance.updated_at = self.clock()
        projection.record(s, instance, actor, kind, instance.updated_at,
                          {"from": before, "to": user.login, "reason": reason}, row)
        s.flush()
        return row

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
