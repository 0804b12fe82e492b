"""Marshmallow schemas of the client's side: the conversation, the status page and the client's survey."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class MessageIn(Schema):
    subject = fields.String(load_default="", validate=validate.Length(max=250), metadata={
        "description": "empty: «Re:» the client's last subject"})
    text = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class MessageOut(Schema):
    id = fields.Integer()
    direction = fields.String(metadata={"description": "in: from the client; out: ours"})
    at = fields.DateTime()
    sender_name = fields.String(allow_none=True)
    sender_email = fields.String(allow_none=True)
    from_contact = fields.Boolean(metadata={"description": "false: sent from an address other than the contact's"})
    subject = fields.String()
    body = fields.String()
    message_id = fields.String(allow_none=True)
    in_reply_to = fields.String(allow_none=True)
    author = fields.String()
    delivery = fields.String(allow_none=True, metadata={"description": "pending, sending, sent, failed (ours)"})
    sent_at = fields.DateTime(allow_none=True)
    attachments = fields.List(fields.String())


class TrackIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    contact = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "the client's e-mail or phone on the complaint"})


class TrackStepOut(Schema):
    code = fields.String()
    name = fields.String()
    completed_at = fields.DateTime()


class TrackOut(Schema):
    number = fields.String()
    registered_at = fields.DateTime()
    stage = fields.String(metadata={"description": "stage1, stage2 or closed"})
    answer_by = fields.DateTime(allow_none=True)
    stage1_closed_at = fields.DateTime(allow_none=True)
    steps = fields.List(fields.Nested(TrackStepOut))


class SurveyIn(Schema):
    solved = fields.Boolean(required=True)
    satisfaction = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))


class ClientVerdictOut(Schema):
    sent_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    solved = fields.Boolean(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
