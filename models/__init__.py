"""Typed SQLAlchemy models of the complaint desk: business records and engine records."""
from models.base import Base, db, utcnow
from models.client import ClientMessage, ClientSurvey, TrackAttempt
from models.complaints import (
    APPEAL_TYPES,
    CHANNELS,
    COMPLAINT_KINDS,
    IMPORTANCE,
    JUSTIFICATION,
    AnalysisParticipant,
    Appeal,
    Attachment,
    Complaint,
    Contact,
    CorrectiveAction,
    Counterparty,
    Nonconformity,
)
from models.deadlines import AuditLog, CalendarOverride, Deadline, DepartmentCalendar, Outbox, Timer
from models.directory import ROLES, ApiClient, Department, Responsible, User
from models.intake import Consent, IdempotencyRecord, IngestedMessage, NotificationTemplate, Review
from models.privacy import DataExport
from models.process import Incident, InstanceEvent, ProcessDefinition, ProcessDraft, ProcessInstance, Task
from models.reports import CronRun, KpiWeight

__all__ = [
    "APPEAL_TYPES",
    "CHANNELS",
    "COMPLAINT_KINDS",
    "IMPORTANCE",
    "JUSTIFICATION",
    "ROLES",
    "AnalysisParticipant",
    "ApiClient",
    "Appeal",
    "Attachment",
    "AuditLog",
    "Base",
    "CalendarOverride",
    "ClientMessage",
    "ClientSurvey",
    "Complaint",
    "Consent",
    "Contact",
    "CorrectiveAction",
    "Counterparty",
    "CronRun",
    "DataExport",
    "Deadline",
    "Department",
    "DepartmentCalendar",
    "IdempotencyRecord",
    "Incident",
    "IngestedMessage",
    "InstanceEvent",
    "KpiWeight",
    "Nonconformity",
    "NotificationTemplate",
    "Outbox",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "Responsible",
    "Review",
    "Task",
    "Timer",
    "TrackAttempt",
    "User",
    "db",
    "utcnow",
]
