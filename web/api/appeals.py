"""Appeals: every intake channel registers them here; an appeal's card, resolution, reminder or complaint."""
from __future__ import annotations

import hashlib
from typing import Any

from flask import g, request
from flask.views import MethodView

from engine import AppealInput
from engine.errors import AppealNotFound, InvalidInput, NotAllowed
from web.api.appeal_schemas import AppealCardOut, ReminderIn, ResolutionIn, TurnedIntoComplaintOut
from web.api.blueprint import Blueprint
from web.api.schemas import AppealIn, AppealOut
from web.queries import appeal_view, engine, find_appeal, previous_appeals

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
        client = g.get("api_client")
        if client is not None and not client.allows_channel(body["channel"]):
            raise NotAllowed(f"This API client may not register appeals from channel {body['channel']}.")
        appeal, complaint = engine().register_appeal(appeal_input(body), g.actor, idempotency())
        return {
            "number": appeal.number, "type": appeal.type, "channel": appeal.channel, "state": appeal.state,
            "received_at": appeal.received_at, "subject": appeal.subject,
            "complaint_number": complaint.number if complaint else None,
            "previous_appeals": previous_appeals(appeal.counterparty_id, appeal.id),
        }


def _card(number: str) -> dict[str, Any]:
    appeal = find_appeal(number)
    if appeal is None:
        raise AppealNotFound(f"No appeal {number}.")
    return appeal_view(appeal)


@blp.route("/<number>")
class AppealItem(MethodView):
    @blp.response(200, AppealCardOut)
    def get(self, number: str) -> dict[str, Any]:
        """The appeal card: its fields, state, reminder, resolution and the counterparty's other cases."""
        return _card(number)


@blp.route("/<number>/resolve")
class AppealResolve(MethodView):
    @blp.arguments(ResolutionIn)
    @blp.response(200, AppealCardOut)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """Mark the appeal processed (обработан) with its resolution; 409 when it already is."""
        engine().resolve_appeal(number, body["resolution"], g.actor)
        return _card(number)


@blp.route("/<number>/reminder")
class AppealReminder(MethodView):
    @blp.arguments(ReminderIn)
    @blp.response(200, AppealCardOut)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """Remind the appeal's responsible at `remind_at` (through the outbox, once)."""
        engine().set_appeal_reminder(number, body["remind_at"], g.actor)
        return _card(number)


@blp.route("/<number>/complaint")
class AppealToComplaint(MethodView):
    @blp.response(201, TurnedIntoComplaintOut)
    def post(self, number: str) -> dict[str, Any]:
        """The appeal proves to be a complaint: open one on it and start the complaint process."""
        complaint = engine().turn_into_complaint(number, g.actor)
        return {"number": number, "state": "processed", "complaint_number": complaint.number}
