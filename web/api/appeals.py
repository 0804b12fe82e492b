"""POST /api/v1/appeals: every intake channel registers appeals here."""
from __future__ import annotations

import hashlib
from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine import AppealInput
from engine.errors import InvalidInput, NotAllowed
from models import ApiClient, db
from web.api.schemas import AppealIn, AppealOut
from web.queries import engine, previous_appeals

PREFIX = "/appeals"
blp = Blueprint("api_appeals", __name__, description="Appeals from every intake channel")


def appeal_input(body: dict[str, Any]) -> AppealInput:
    counterparty, contact = body.get("counterparty") or {}, body.get("contact") or {}
    return AppealInput(
        type=body["type"], channel=body["channel"], subject=body["subject"], text=body["text"],
        received_at=body.get("received_at"), counterparty_name=counterparty.get("name"),
        inn=counterparty.get("inn"), contact_name=contact.get("name"),
        contact_position=contact.get("position"), contact_phone=contact.get("phone"),
        contact_email=contact.get("email"), department=body.get("department"),
        importance=body["importance"], kind=body["kind"], situation_date=body.get("situation_date"),
        software=body.get("software"), work_done=body.get("work_done"),
        previous_appeals_text=body.get("previous_appeals_text"), project=body.get("project"),
    )


def idempotency() -> tuple[int, str, str] | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > 200:
        raise InvalidInput("Idempotency-Key is too long.", {"Idempotency-Key": ["At most 200 characters."]})
    body = request.get_data()
    return g.actor.client_id, key, hashlib.sha256(body).hexdigest()


@blp.route("")
class Appeals(MethodView):
    @blp.arguments(AppealIn)
    @blp.response(201, AppealOut)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"},
                          "description": "A retry with the same key and body returns the first answer."}])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register an appeal; a complaint also opens its case and starts the process."""
        client = db.session.get(ApiClient, g.actor.client_id)
        if client is not None and not client.allows_channel(body["channel"]):
            raise NotAllowed(f"This API client may not register appeals from channel {body['channel']}.")
        appeal, complaint = engine().register_appeal(appeal_input(body), g.actor, idempotency())
        return {
            "number": appeal.number, "type": appeal.type, "channel": appeal.channel, "state": appeal.state,
            "received_at": appeal.received_at, "subject": appeal.subject,
            "complaint_number": complaint.number if complaint else None,
            "previous_appeals": previous_appeals(appeal.counterparty_id, appeal.id),
        }
