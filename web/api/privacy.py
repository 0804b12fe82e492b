"""Personal data: the consent register for QMS (the same filters as the page)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.privacy.consents import PURPOSES, STATES
from models import CHANNELS, Consent
from web.api.blueprint import Blueprint
from web.queries import engine

PREFIX = "/privacy"
blp = Blueprint("api_privacy", __name__, description="Personal data (152-FZ): the consent register")


class ConsentQuery(Schema):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "name, phone, e-mail or INN"})
    kind = fields.String(validate=validate.OneOf(tuple(PURPOSES)))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    state = fields.String(validate=validate.OneOf(STATES))
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class ConsentOut(Schema):
    id = fields.Integer()
    person = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    inn = fields.String(allow_none=True)
    kind = fields.String()
    purpose = fields.String()
    text_version = fields.String()
    channel = fields.String()
    given_at = fields.DateTime()
    withdrawn_at = fields.DateTime(allow_none=True)
    withdrawn_by = fields.String(allow_none=True)
    withdrawal_note = fields.String(allow_none=True)
    erased_at = fields.DateTime(allow_none=True)
    appeal = fields.Function(lambda c: c.appeal.number if c.appeal else None)


@blp.route("/consents")
class Consents(MethodView):
    @blp.arguments(ConsentQuery, location="query")
    @blp.response(200, ConsentOut(many=True))
    def get(self, query: dict[str, Any]) -> list[Consent]:
        """Consents newest first; `from`/`to` are days in the company's time zone, both included."""
        filters = {**query, "from": query.get("from_")}
        return engine().consent_register(filters)  # type: ignore[no-any-return]
