"""Marshmallow schemas of the REST API: what comes in and what goes out."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from engine.intake.inn import inn_problem, normalised_inn
from models import APPEAL_TYPES, CHANNELS, COMPLAINT_KINDS, IMPORTANCE
from web.api.client_schemas import ClientVerdictOut


def _inn(value: str) -> None:
    if problem := inn_problem(normalised_inn(value)):
        raise ValidationError(problem)


class CounterpartyIn(Schema):
    name = fields.String(validate=validate.Length(max=300))
    inn = fields.String(validate=_inn)


class ContactIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    position = fields.String(validate=validate.Length(max=200))
    phone = fields.String(validate=validate.Length(max=60))
    email = fields.Email()


class AppealIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(APPEAL_TYPES))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    received_at = fields.AwareDateTime(load_default=None, error_messages={
        "invalid_awareness": "Give the time with its timezone offset, e.g. 2026-11-24T10:00:00+03:00."})
    counterparty = fields.Nested(CounterpartyIn, load_default=dict)
    contact = fields.Nested(ContactIn, load_default=dict)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=300))
    text = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    department = fields.String(validate=validate.Length(min=1, max=40))
    importance = fields.String(load_default="normal", validate=validate.OneOf(IMPORTANCE))
    kind = fields.String(load_default="external", validate=validate.OneOf(COMPLAINT_KINDS))
    situation_date = fields.Date()
    software = fields.String(validate=validate.Length(max=300))
    work_done = fields.String(validate=validate.Length(max=5000))
    previous_appeals_text = fields.String(validate=validate.Length(max=20000))
    project = fields.String(validate=validate.Length(max=200))


class AppealOut(Schema):
    number = fields.String()
    type = fields.String()
    channel = fields.String()
    state = fields.String()
    received_at = fields.DateTime()
    subject = fields.String()
    complaint_number = fields.String(allow_none=True)
    previous_appeals = fields.List(fields.String(), metadata={
        "description": "The counterparty's other appeals, newest first: at most 100, as on the appeal card."})


class CounterpartyOut(Schema):
    name = fields.String()
    inn = fields.String(allow_none=True)


class ContactOut(Schema):
    full_name = fields.String()
    position = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class TaskOut(Schema):
    id = fields.String()
    complaint = fields.String(attribute="business_key")
    step = fields.String(allow_none=True)
    bpmn_id = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True)


class StepOut(Schema):
    code = fields.String()
    name = fields.String()
    status = fields.String()
    completed_at = fields.DateTime(allow_none=True)
    times_completed = fields.Integer()
    due_at = fields.DateTime(allow_none=True)
    goal_at = fields.DateTime(allow_none=True)
    warned_at = fields.DateTime(allow_none=True)
    breached_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    on_time = fields.Boolean(allow_none=True)
    working_minutes = fields.Integer(allow_none=True)


class RowsOut(Schema):
    department = fields.String()
    actions = fields.String()


class NonconformityOut(Schema):
    department = fields.String()
    process = fields.String()
    product = fields.String(allow_none=True)
    description = fields.String()


class CorrectiveActionOut(Schema):
    description = fields.String()
    assignee = fields.String()
    deadline = fields.Date(allow_none=True)
    status = fields.String()
    done_on = fields.Date(allow_none=True)


class ComplaintOut(Schema):
    number = fields.String()
    status = fields.String()
    stage = fields.Integer()
    stage1_status = fields.String()
    stage2_status = fields.String(allow_none=True)
    registered_at = fields.DateTime()
    appeal = fields.String(attribute="appeal_number")
    subject = fields.String()
    text = fields.String()
    channel = fields.String()
    kind = fields.String()
    counterparty = fields.Nested(CounterpartyOut, allow_none=True)
    contact = fields.Nested(ContactOut, allow_none=True)
    department = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    responsible_user = fields.String(allow_none=True)
    importance = fields.String()
    justification = fields.String(allow_none=True)
    correction = fields.String(allow_none=True)
    implementation_date = fields.Date(allow_none=True)
    compensation = fields.String(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    loyal = fields.Boolean(allow_none=True)
    stage1_closed_at = fields.DateTime(allow_none=True)
    stage2_closed_at = fields.DateTime(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskOut))
    steps = fields.List(fields.Nested(StepOut))
    participants = fields.List(fields.Nested(RowsOut))
    nonconformities = fields.List(fields.Nested(NonconformityOut))
    corrective_actions = fields.List(fields.Nested(CorrectiveActionOut))
    previous_appeals = fields.List(fields.String())
    counterparty_complaints = fields.List(fields.String())
    incidents = fields.List(fields.Dict())
    client_verdict = fields.Nested(ClientVerdictOut, allow_none=True,
                                   metadata={"description": "the client's own survey answer, apart from `satisfied`"})


class EventOut(Schema):
    seq = fields.Integer(metadata={"description": "place in its instance's hash chain, 1..n"})
    instance_id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    kind = fields.String()
    step = fields.String(allow_none=True)
    bpmn_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True, metadata={"description": "null once the case's data was erased"})
    erased = fields.Boolean()
    hash = fields.String(metadata={"description": "SHA-256 of the event (hex)"})


class HistoryOut(Schema):
    complaint = fields.String()
    events = fields.List(fields.Nested(EventOut))


class TaskQuery(Schema):
    complaint = fields.String()
    assignee = fields.String()
    department = fields.String()
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "completed", "cancelled", "all")))


class CompleteIn(Schema):
    data = fields.Dict(required=True)


class ClaimIn(Schema):
    user = fields.String()


class AssignIn(Schema):
    user = fields.String(required=True)
    reason = fields.String(validate=validate.Length(max=1000))


class IncidentQuery(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "all")))


class IncidentResolveIn(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class IncidentOut(Schema):
    id = fields.Integer()
    business_key = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    message = fields.String()
    actor = fields.String()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)


class TemplateIn(Schema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=300))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class TemplateOut(Schema):
    kind = fields.String()
    subject = fields.String()
    body = fields.String()


class OutboxQuery(Schema):
    status = fields.String(validate=validate.OneOf(("pending", "sending", "sent", "failed")))
    complaint = fields.String()


class OutboxOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    kind = fields.String()
    recipient = fields.String()
    business_key = fields.String(allow_none=True)
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True, metadata={"description": "the e-mail's Message-ID, kept for threading"})
    attachment_name = fields.String(allow_none=True)


class FeedbackIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(("gratitude", "complaint", "suggestion")))
    message = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    full_name = fields.String(validate=validate.Length(max=200))
    organisation = fields.String(validate=validate.Length(max=300))
    inn = fields.String(validate=_inn)
    phone = fields.String(validate=validate.Length(max=60))
    email = fields.Email()
    consent_personal_data = fields.Boolean(required=True)
    consent_agreement = fields.Boolean(required=True)
    website = fields.String(metadata={"description": "leave empty (a trap for robots)"})


class FeedbackOut(Schema):
    number = fields.String(allow_none=True)
    complaint_number = fields.String(allow_none=True)
    answer_by = fields.String(allow_none=True)
