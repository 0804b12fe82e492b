"""Marshmallow schemas of the report endpoints and of the complaint list."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from models import CHANNELS

FORMATS = ("json", "csv", "xlsx")


class MonthQuery(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM, e.g. 2026-11 (Moscow time)"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class WeekQuery(Schema):
    week = fields.String(required=True, metadata={"description": "ISO week YYYY-Www, e.g. 2026-W48"})


class OnTimeOut(Schema):
    name = fields.String()
    counted = fields.Integer()
    on_time = fields.Integer()
    percent = fields.Float(allow_none=True)


class MonthlyReportOut(Schema):
    """Percentages are 0-100 with one decimal, null when nothing was there to count."""

    month = fields.String()
    received = fields.Integer(metadata={"description": "complaints registered in the month"})
    appeals_received = fields.Integer()
    closed_stage1 = fields.Integer(metadata={"description": "complaints whose stage 1 closed in the month"})
    loyal = fields.Integer()
    satisfied = fields.Integer()
    loyalty_percent = fields.Float(allow_none=True)
    satisfaction_percent = fields.Float(allow_none=True)
    on_time_percent = fields.Float(allow_none=True, metadata={
        "description": "steps 1.1-1.6 whose deadline fell in the month, done by it (open past it = late)"})
    steps_counted = fields.Integer()
    closed_within_goal_percent = fields.Float(allow_none=True)
    closed_within_limit_percent = fields.Float(allow_none=True)
    median_hours_to_close_stage1 = fields.Float(allow_none=True)
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_channel = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_department = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    justification = fields.Dict(keys=fields.String(), values=fields.Integer())
    on_time_by_step = fields.List(fields.Nested(OnTimeOut))
    on_time_by_department = fields.List(fields.Nested(OnTimeOut))
    on_time_by_responsible = fields.List(fields.Nested(OnTimeOut))
    median_hours_by_step = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    compensations = fields.Dict(keys=fields.String(), values=fields.Integer())
    repeat_counterparties = fields.List(fields.Dict())
    nonconformities = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    charts = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))


class KpiRowOut(Schema):
    responsible_id = fields.Integer()
    responsible = fields.String()
    department = fields.String()
    score = fields.Float(allow_none=True)
    handled = fields.Integer()
    steps_counted = fields.Integer()
    on_time_percent = fields.Float(allow_none=True)
    on_time_by_step = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    median_hours_to_close = fields.Float(allow_none=True)
    closed_within_goal_percent = fields.Float(allow_none=True)
    loyalty_percent = fields.Float(allow_none=True)
    volume_percent = fields.Float(allow_none=True)


class KpiOut(Schema):
    month = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    responsibles = fields.List(fields.Nested(KpiRowOut))


class WeeklyRowOut(Schema):
    number = fields.String()
    registered_at = fields.DateTime()
    counterparty = fields.String(allow_none=True)
    subject = fields.String()
    department = fields.String()
    responsible = fields.String()
    stage1_due_at = fields.DateTime(allow_none=True)
    stage1_closed_at = fields.DateTime(allow_none=True)
    received = fields.Boolean()
    due = fields.Boolean()
    overdue = fields.Boolean()
    closed = fields.Boolean()
    late_steps = fields.List(fields.String())


class WeeklyOut(Schema):
    week = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    rows = fields.List(fields.Nested(WeeklyRowOut))


class ComplaintListQuery(Schema):
    q = fields.String(metadata={"description": "number, client, INN, subject or text"})
    department = fields.String()
    responsible = fields.Integer()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    state = fields.String(validate=validate.OneOf(("open", "closed")))
    overdue = fields.Boolean()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class ComplaintListItem(Schema):
    number = fields.String()
    registered_at = fields.DateTime()
    counterparty = fields.String(allow_none=True)
    inn = fields.String(allow_none=True)
    subject = fields.String()
    channel = fields.String()
    kind = fields.String()
    department = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    importance = fields.String()
    justification = fields.String(allow_none=True)
    stage1_status = fields.String()
    stage2_status = fields.String(allow_none=True)
    stage1_closed_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()


class ComplaintListOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(ComplaintListItem))
