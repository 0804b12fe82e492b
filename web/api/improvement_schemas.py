"""Marshmallow schemas of the stage-2 register: nonconformities with their corrective tasks, and assigning."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.improvement.use_cases import MAX_WORKING_DAYS
from web.api.schemas import CorrectiveActionOut, NonconformityOut


class RegisterQuery(Schema):
    department = fields.String(validate=validate.Length(max=40))
    process = fields.String(validate=validate.Length(max=200))
    product = fields.String(validate=validate.Length(max=200))
    from_ = fields.Date(data_key="from", metadata={"description": "complaints registered from this company day"})
    to = fields.Date(metadata={"description": "… to this company day, included"})


class CorrectiveTaskOut(CorrectiveActionOut):
    id = fields.Integer()
    assignee_login = fields.String(allow_none=True, metadata={"description": "the user whose inbox it reaches"})
    status = fields.String(metadata={"description": "planned, in_progress, done"})
    overdue = fields.Boolean()


class RegisterNonconformityOut(NonconformityOut):
    id = fields.Integer()
    complaint = fields.String()
    registered_at = fields.DateTime()
    stage2_status = fields.String(allow_none=True)
    corrective_actions = fields.List(fields.Nested(CorrectiveTaskOut))


class RegisterOut(Schema):
    items = fields.List(fields.Nested(RegisterNonconformityOut))


class CorrectiveAssignIn(Schema):
    assignee = fields.String(required=True, validate=validate.Length(min=1, max=80),
                             metadata={"description": "the user's login"})
    working_days = fields.Integer(required=True, strict=True,
                                  validate=validate.Range(min=1, max=MAX_WORKING_DAYS))
