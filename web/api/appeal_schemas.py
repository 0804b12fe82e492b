"""Marshmallow schemas of the appeal card: the appeal as QMS sees it, and how it is handled."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.api.schemas import ContactOut, CounterpartyOut


class AttachmentOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class OtherAppealOut(Schema):
    number = fields.String()
    received_at = fields.DateTime()
    type = fields.String()
    state = fields.String()
    subject = fields.String()


class OtherComplaintOut(Schema):
    number = fields.String()
    registered_at = fields.DateTime()
    stage1_status = fields.String()
    stage2_status = fields.String(allow_none=True)


class AppealCardOut(Schema):
    number = fields.String()
    received_at = fields.DateTime()
    type = fields.String()
    channel = fields.String()
    state = fields.String(metadata={"description": "unprocessed (не обработан) or processed (обработан)"})
    importance = fields.String()
    kind = fields.String()
    subject = fields.String()
    text = fields.String()
    previous_appeals_text = fields.String(allow_none=True)
    situation_date = fields.Date(allow_none=True)
    software = fields.String(allow_none=True)
    work_done = fields.String(allow_none=True)
    project = fields.String(allow_none=True)
    tendency = fields.String(allow_none=True)
    author = fields.String()
    counterparty = fields.Nested(CounterpartyOut, allow_none=True)
    contact = fields.Nested(ContactOut, allow_none=True)
    department = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    days_open = fields.Integer(metadata={"description": "calendar days from receipt to processing (or now)"})
    remind_at = fields.DateTime(allow_none=True)
    reminder_sent_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    resolution = fields.String(allow_none=True)
    processed_by = fields.String(allow_none=True)
    complaint_number = fields.String(allow_none=True, metadata={
        "description": "the complaint whose basis this appeal is"})
    attachments = fields.List(fields.Nested(AttachmentOut))
    counterparty_appeals = fields.List(fields.Nested(OtherAppealOut))
    counterparty_complaints = fields.List(fields.Nested(OtherComplaintOut))


class ResolutionIn(Schema):
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class ReminderIn(Schema):
    remind_at = fields.AwareDateTime(required=True, error_messages={
        "invalid_awareness": "Give the time with its timezone offset, e.g. 2026-11-30T10:00:00+03:00."})


class TurnedIntoComplaintOut(Schema):
    number = fields.String(metadata={"description": "the appeal"})
    state = fields.String()
    complaint_number = fields.String()
