"""Marshmallow schemas of the calendar API: the deadline plan of a moment, QMS's overrides, branch calendars."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class WhatIfQuery(Schema):
    received_at = fields.AwareDateTime(error_messages={
        "invalid_awareness": "Give the time with its timezone offset, e.g. 2026-11-24T10:00:00+03:00."})
    department = fields.String(metadata={"description": "Use this department's calendar (a branch's zone "
                                                         "and holidays); default the company's"})


class StepDeadlineOut(Schema):
    code = fields.String()
    name = fields.String()
    due_at = fields.String()


class WhatIfOut(Schema):
    received_at = fields.String()
    department = fields.String(allow_none=True)
    timezone = fields.String()
    steps = fields.List(fields.Nested(StepDeadlineOut))
    goal_at = fields.String(allow_none=True)
    provisional_years = fields.List(fields.Integer())


class OverrideIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("working", "day_off", "shortened")))
    periods = fields.List(fields.List(fields.String(), validate=validate.Length(equal=2)), load_default=list)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class OverrideOut(Schema):
    day = fields.Date()
    kind = fields.String()
    periods = fields.List(fields.List(fields.String()))
    note = fields.String()
    updated_by = fields.String()
    updated_at = fields.DateTime()


class DepartmentHolidayIn(Schema):
    day = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class DepartmentCalendarIn(Schema):
    timezone = fields.String(required=True, metadata={"example": "Asia/Yekaterinburg"})
    holidays = fields.List(fields.Nested(DepartmentHolidayIn), load_default=list)


class DepartmentCalendarOut(Schema):
    department = fields.String()
    timezone = fields.String()
    holidays = fields.List(fields.Dict())
    own = fields.Boolean(metadata={"description": "false: the department uses the company calendar"})
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
