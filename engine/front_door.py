"""The engine's one front door: every public method is a use case, delegated to the module of its concern.

Each concern keeps its use cases in its own folder (`bpmn/`, `time/`, `intake/`, `notify/`, `people/`)
as functions of the shared `Runtime`; this class only names them in one place.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import use_cases as bpmn
from engine.bpmn import version_changes
from engine.bpmn.definitions import Bundle, Definitions
from engine.bpmn.runtime import Runtime
from engine.client import use_cases as client
from engine.client.survey import Verdict
from engine.client.tracking import ClientStatus
from engine.history import use_cases as history
from engine.history.vault import OpenedEvent
from engine.history.verify import Report
from engine.improvement import use_cases as improvement
from engine.intake import use_cases as intake
from engine.intake.appeals import AppealInput, NewFile
from engine.intake.public import FeedbackInput, ReviewInput
from engine.notify import use_cases as notify
from engine.notify.notifications import Delivery
from engine.people import use_cases as people
from engine.people.actor import Actor
from engine.people.api_tokens import ApiTokens, ClientCard
from engine.people.directory import ResponsibleSpec
from engine.privacy import use_cases as privacy
from engine.privacy.subjects import SubjectQuery
from engine.reports import use_cases as reports
from engine.settings import EngineSettings
from engine.time import use_cases as time
from engine.time.deadlines import CalendarSource
from models import (
    ApiClient,
    Appeal,
    AuditLog,
    ClientMessage,
    ClientSurvey,
    Complaint,
    Consent,
    CorrectiveAction,
    CronRun,
    DataExport,
    Department,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    Responsible,
    Review,
    Task,
    User,
    utcnow,
)

__all__ = ["EngineSettings", "ProcessEngine"]


class ProcessEngine:
    """The use cases. Each public method is one transaction: lock, load, act, advance, save, project."""

    def __init__(self, session: Session, settings: EngineSettings,
                 clock: Callable[[], dt.datetime] = utcnow, delivery: Delivery | None = None) -> None:
        self.runtime = Runtime(session, settings, clock, delivery)
        self.api_tokens = ApiTokens(settings.api_token_seconds)

    # --- what the composition root and the pages read ----------------------------------------
    @property
    def session(self) -> Session:
        return self.runtime.session

    @property
    def settings(self) -> EngineSettings:
        return self.runtime.settings

    @property
    def calendars(self) -> CalendarSource:
        return self.runtime.calendars

    @property
    def definitions(self) -> Definitions:
        return self.runtime.definitions

    @property
    def script_engine(self) -> Any:
        return self.runtime.script_engine

    @property
    def delivery(self) -> Delivery:
        return self.runtime.delivery

    @delivery.setter
    def delivery(self, value: Delivery) -> None:
        self.runtime.delivery = value

    @property
    def on_timer_armed(self) -> Callable[[dt.datetime], None] | None:
        return self.runtime.on_timer_armed

    @on_timer_armed.setter
    def on_timer_armed(self, callback: Callable[[dt.datetime], None] | None) -> None:
        self.runtime.on_timer_armed = callback

    # --- BPMN runtime: definitions, instances, tasks, incidents ---------------------------------
    def deploy(self, key: str, bundle: Bundle, actor: Actor, comment: str | None = None) -> ProcessDefinition:
        return bpmn.deploy(self.runtime, key, bundle, actor, comment)

    def validate(self, key: str, bundle: Bundle) -> None:
        bpmn.validate(self.runtime, key, bundle)

    def save_draft(self, key: str, bundle: Bundle, comment: str | None, base_version: int | None,
                   actor: Actor) -> dict[str, Any]:
        return bpmn.save_draft(self.runtime, key, bundle, comment, base_version, actor)

    def load_draft(self, key: str) -> dict[str, Any] | None:
        return bpmn.load_draft(self.runtime, key)

    def discard_draft(self, key: str) -> bool:
        return bpmn.discard_draft(self.runtime, key)

    def deploy_draft(self, key: str, bundle: Bundle, actor: Actor, comment: str | None) -> ProcessDefinition:
        return bpmn.deploy_draft(self.runtime, key, bundle, actor, comment)

    def compare_versions(self, old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return bpmn.compare_versions(self.runtime, old, new)

    def replay_check(self, key: str, bundle: Bundle | None = None, version: int | None = None,
                     limit: int = 50) -> dict[str, Any]:
        return version_changes.replay_check(self.runtime, key, bundle, version, limit)

    def migrate_instances(self, key: str, from_version: int, to_version: int, instances: list[str] | str,
                          dry_run: bool, actor: Actor) -> dict[str, Any]:
        return version_changes.migrate_instances(self.runtime, key, from_version, to_version, instances, dry_run, actor)

    def deploy_processes(self, actor: Actor) -> ProcessDefinition:
        return bpmn.deploy_processes(self.runtime, actor)

    def start(self, key: str, business_key: str, variables: dict[str, Any], actor: Actor) -> ProcessInstance:
        return bpmn.start(self.runtime, key, business_key, variables, actor)

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Actor,
                      files: dict[str, NewFile] | None = None) -> Task:
        return bpmn.complete_task(self.runtime, task_id, data, actor, files)

    def claim(self, task_id: str, actor: Actor) -> Task:
        return bpmn.claim(self.runtime, task_id, actor)

    def assign(self, task_id: str, login: str, actor: Actor, reason: str | None) -> Task:
        return bpmn.assign(self.runtime, task_id, login, actor, reason)

    def retry_incident(self, incident_id: int, actor: Actor) -> Incident:
        return bpmn.retry_incident(self.runtime, incident_id, actor)

    def resolve_incident(self, incident_id: int, comment: str, actor: Actor) -> Incident:
        return bpmn.resolve_incident(self.runtime, incident_id, comment, actor)

    def instance_on_diagram(self, business_key: str) -> dict[str, Any]:
        return bpmn.instance_on_diagram(self.runtime, business_key)

    def task_data(self, row: Task) -> dict[str, Any]:
        return bpmn.task_data(self.runtime, row)

    def form_schema(self, row: Task) -> dict[str, Any] | None:
        return bpmn.form_schema(self.runtime, row)

    def task_form(self, definition_id: int, form: str | None) -> dict[str, Any] | None:
        """The form `form` of a definition version (the caller read the version with its task)."""
        return self.runtime.definitions.get(self.runtime.session, definition_id).forms.get(form) if form else None

    # --- history: the tamper-evident record of each instance ---------------------------------------
    def history(self, business_key: str) -> list[OpenedEvent]:
        return history.history(self.runtime, business_key)

    def verify_history(self) -> Report:
        return history.verify_history(self.runtime)

    def verify_complaint_history(self, business_key: str) -> Report:
        return history.verify_complaint_history(self.runtime, business_key)

    def verify_history_export(self, document: Any) -> Report:
        return history.verify_history_export(self.runtime, document)

    def export_history(self, business_key: str, actor: Actor) -> dict[str, Any]:
        return history.export_history(self.runtime, business_key, actor)

    # --- time: timers, deadlines, the calendar ----------------------------------------------------
    def fire_due_timers(self, now: dt.datetime | None = None) -> list[str]:
        return time.fire_due_timers(self.runtime, now)

    def next_timer_due(self, after: dt.datetime) -> dt.datetime | None:
        return time.next_timer_due(self.runtime, after)

    def what_if(self, received_at: dt.datetime, department: str | None = None) -> dict[str, Any]:
        return time.what_if(self.runtime, received_at, department)

    def answer_by(self, received_at: dt.datetime, department: str | None = None) -> dt.datetime | None:
        return self.runtime.answer_by(received_at, department)

    def set_calendar_override(self, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                              actor: Actor) -> int:
        return time.set_calendar_override(self.runtime, day, kind, periods, note, actor)

    def remove_calendar_override(self, day: dt.date, actor: Actor) -> int:
        return time.remove_calendar_override(self.runtime, day, actor)

    def set_department_calendar(self, code: str, timezone: str, holidays: list[tuple[str, str]],
                                actor: Actor) -> int:
        return time.set_department_calendar(self.runtime, code, timezone, holidays, actor)

    def remove_department_calendar(self, code: str, actor: Actor) -> int:
        return time.remove_department_calendar(self.runtime, code, actor)

    def preview_calendar_override(self, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                                  actor: Actor, remove: bool = False) -> list[dict[str, Any]]:
        return time.preview_calendar_override(self.runtime, day, kind, periods, note, actor, remove)

    def preview_department_calendar(self, code: str, timezone: str, holidays: list[tuple[str, str]],
                                    actor: Actor, remove: bool = False) -> list[dict[str, Any]]:
        return time.preview_department_calendar(self.runtime, code, timezone, holidays, actor, remove)

    def recent_moves(self, since: dt.datetime, day: dt.date | None = None, department: str | None = None,
                     removed: bool = False) -> list[dict[str, Any]]:
        return time.recent_moves(self.runtime, since, day, department, removed)

    # --- intake: every channel ---------------------------------------------------------------------
    def register_appeal(self, data: AppealInput, actor: Actor,
                        idempotency: tuple[int, str, str] | None = None) -> tuple[Appeal, Complaint | None]:
        return intake.register_appeal(self.runtime, data, actor, idempotency)

    def submit_feedback(self, data: FeedbackInput, ip: str | None) -> tuple[Appeal, Complaint | None, str]:
        return intake.submit_feedback(self.runtime, data, ip)

    def submit_review(self, data: ReviewInput, ip: str | None) -> Review:
        return intake.submit_review(self.runtime, data, ip)

    def ingest_mail(self, raw: bytes, mailbox: str, appeal_type: str = "complaint",
                    department: str | None = None) -> Appeal | ClientMessage | None:
        return intake.ingest_mail(self.runtime, raw, mailbox, appeal_type, department)

    def resolve_appeal(self, number: str, resolution: str, actor: Actor) -> Appeal:
        return intake.resolve_appeal(self.runtime, number, resolution, actor)

    def set_appeal_reminder(self, number: str, remind_at: dt.datetime, actor: Actor) -> Appeal:
        return intake.set_appeal_reminder(self.runtime, number, remind_at, actor)

    def turn_into_complaint(self, number: str, actor: Actor) -> Complaint:
        return intake.turn_into_complaint(self.runtime, number, actor)

    def send_appeal_reminders(self, now: dt.datetime | None = None) -> list[str]:
        return intake.send_appeal_reminders(self.runtime, now)

    # --- the client's side: conversation, status page, survey --------------------------------------
    def write_to_client(self, number: str, subject: str, text: str, actor: Actor) -> ClientMessage:
        return client.write_to_client(self.runtime, number, subject, text, actor)

    def track_complaint(self, number: str, contact: str, ip: str | None) -> ClientStatus | None:
        return client.track_complaint(self.runtime, number, contact, ip)

    def survey_of(self, token: str) -> ClientSurvey:
        return client.survey_of(self.runtime, token)

    def answer_survey(self, token: str, verdict: Verdict, ip: str | None) -> ClientSurvey:
        return client.answer_survey(self.runtime, token, verdict, ip)

    # --- improvement: stage 2's corrective tasks -----------------------------------------------------
    def assign_corrective_task(self, action_id: int, login: str, working_days: int,
                               actor: Actor) -> CorrectiveAction:
        return improvement.assign_corrective_task(self.runtime, action_id, login, working_days, actor)

    def finish_corrective_task(self, action_id: int, actor: Actor) -> CorrectiveAction:
        return improvement.finish_corrective_task(self.runtime, action_id, actor)

    def notify_overdue_corrective_tasks(self, now: dt.datetime | None = None) -> list[int]:
        return improvement.notify_overdue_corrective_tasks(self.runtime, now)

    # --- notifications ----------------------------------------------------------------------------
    def deliver_outbox(self, now: dt.datetime | None = None) -> dict[str, int]:
        return notify.deliver_outbox(self.runtime, now)

    def set_template(self, kind: str, subject: str, body: str, actor: Actor) -> None:
        notify.set_template(self.runtime, kind, subject, body, actor)

    def preview_template(self, kind: str, subject: str, body: str) -> dict[str, Any]:
        return notify.preview_template(kind, subject, body)

    # --- people: the directory ---------------------------------------------------------------------
    def create_user(self, login: str, full_name: str, password: str, roles: list[str],
                    departments: list[str], email: str | None = None, telegram_chat_id: str | None = None,
                    actor: Actor = people.CLI) -> User:
        return people.create_user(self.runtime, login, full_name, password, roles, departments, email,
                                  telegram_chat_id, actor)

    def update_user(self, login: str, full_name: str, email: str | None, telegram_chat_id: str | None,
                    roles: list[str], departments: list[str], active: bool, actor: Actor) -> User:
        return people.update_user(self.runtime, login, full_name, email, telegram_chat_id, roles, departments,
                                  active, actor)

    def reset_password(self, login: str, password: str, actor: Actor) -> User:
        return people.reset_password(self.runtime, login, password, actor)

    def create_department(self, code: str, name: str, head: str | None, actor: Actor) -> Department:
        return people.create_department(self.runtime, code, name, head, actor)

    def update_department(self, code: str, name: str, head: str | None, actor: Actor) -> Department:
        return people.update_department(self.runtime, code, name, head, actor)

    def save_responsible(self, responsible_id: int | None, department: str, position: str,
                         person_name: str | None, user_login: str | None, active: bool, actor: Actor
                         ) -> Responsible:
        return people.save_responsible(self.runtime, responsible_id, department, position, person_name, user_login,
                                       active, actor)

    def create_api_client(self, name: str, scopes: list[str], user_login: str | None,
                          channels: list[str] | None = None, actor: Actor = people.CLI) -> tuple[ApiClient, str]:
        return people.create_api_client(self.runtime, name, scopes, user_login, channels, actor)

    def revoke_api_client(self, name: str, actor: Actor = people.CLI) -> ApiClient:
        client = people.revoke_api_client(self.runtime, name, actor)
        self.api_tokens.forget(client.token_hash)
        return client

    def api_client(self, token_hash: str) -> ClientCard | None:
        """The active client of a token (remembered for `settings.api_token_seconds`), or None."""
        return self.api_tokens.find(self.session, token_hash)

    def upsert_responsibles(self, specs: list[ResponsibleSpec], qms_code: str) -> None:
        people.upsert_responsibles(self.runtime, specs, qms_code)

    def sign_out_everywhere(self, user_id: int) -> None:
        people.sign_out_everywhere(self.runtime, user_id)

    def set_password(self, user_id: int, password: str) -> User:
        return people.set_password(self.runtime, user_id, password)

    def deactivate_user(self, login: str, actor: Actor = people.CLI) -> User:
        return people.deactivate_user(self.runtime, login, actor)

    def set_department_head(self, code: str, login: str | None, actor: Actor) -> Department:
        return people.set_department_head(self.runtime, code, login, actor)

    # --- reports: QMS control ----------------------------------------------------------------------
    def monthly_report(self, month: str) -> dict[str, Any]:
        return reports.monthly_report(self.runtime, month)

    def kpis(self, month: str) -> dict[str, Any]:
        return reports.kpis(self.runtime, month)

    def weekly_review(self, week: str, departments: list[str] | None = None) -> dict[str, Any]:
        return reports.weekly_review(self.runtime, week, departments)

    def set_kpi_weights(self, values: dict[str, Any], actor: Actor) -> dict[str, int]:
        return reports.set_kpi_weights(self.runtime, values, actor)

    def send_weekly_digest(self, now: dt.datetime | None = None) -> str | None:
        return reports.send_weekly_digest(self.runtime, now)

    def send_monthly_report(self, recipients: list[str], now: dt.datetime | None = None) -> str | None:
        return reports.send_monthly_report(self.runtime, recipients, now)

    # --- personal data: consents, erasure, retention, recorded exports --------------------------------
    def consent_register(self, filters: dict[str, Any]) -> list[Consent]:
        return privacy.consent_register(self.runtime, filters)

    def withdraw_consent(self, consent_id: int, note: str, actor: Actor) -> Consent:
        return privacy.withdraw_consent(self.runtime, consent_id, note, actor)

    def erasure_preview(self, query: SubjectQuery) -> dict[str, Any]:
        return privacy.erasure_preview(self.runtime, query)

    def erase_subject(self, query: SubjectQuery, actor: Actor) -> dict[str, Any]:
        return privacy.erase_subject(self.runtime, query, actor)

    def apply_retention(self, now: dt.datetime | None = None) -> dict[str, int] | None:
        return privacy.apply_retention(self.runtime, now)

    def record_export(self, actor: Actor, what: str, fmt: str, filters: dict[str, Any], rows: int) -> None:
        privacy.record_export(self.runtime, actor, what, fmt, filters, rows)

    def export_log(self) -> list[DataExport]:
        return privacy.export_log(self.runtime)

    def retention_runs(self) -> list[CronRun]:
        return privacy.retention_runs(self.runtime)

    def erasures(self) -> list[AuditLog]:
        return privacy.erasures(self.runtime)
