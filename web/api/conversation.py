"""The client's side over the API: the conversation of a complaint, the status look-up, the survey answer."""
from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from sqlalchemy import select

from engine.client.survey import Verdict
from engine.client.tracking import as_dict
from engine.errors import ComplaintNotFound
from models import Attachment, ClientMessage, db
from web.api.blueprint import Blueprint
from web.api.client_schemas import ClientVerdictOut, MessageIn, MessageOut, SurveyIn, TrackIn, TrackOut
from web.queries import engine, find_complaint

PREFIX = ""
blp = Blueprint("api_conversation", __name__, description="The client's side: conversation, status, survey")


def message_view(m: ClientMessage) -> dict[str, Any]:
    files = db.session.scalars(select(Attachment.filename).where(Attachment.client_message_id == m.id))
    return {**{k: getattr(m, k) for k in ("id", "direction", "at", "sender_name", "sender_email", "from_contact",
                                          "subject", "body", "message_id", "in_reply_to", "author")},
            "delivery": m.outbox.status if m.outbox else None, "sent_at": m.outbox.sent_at if m.outbox else None,
            "attachments": list(files)}


@blp.route("/complaints/<number>/messages")
class Conversation(MethodView):
    @blp.response(200, MessageOut(many=True))
    def get(self, number: str) -> list[dict[str, Any]]:
        """The conversation with the client in order: their e-mails and ours with delivery state."""
        complaint = find_complaint(number)
        if complaint is None:
            raise ComplaintNotFound(f"No complaint {number}.")
        rows = db.session.scalars(select(ClientMessage).where(ClientMessage.complaint_id == complaint.id)
                                  .order_by(ClientMessage.at, ClientMessage.id))
        return [message_view(m) for m in rows]

    @blp.arguments(MessageIn)
    @blp.response(201, MessageOut)
    def post(self, body: dict[str, Any], number: str) -> dict[str, Any]:
        """Write to the client: sent through the outbox in the conversation's thread, [number] in the subject."""
        message = engine().write_to_client(number, body["subject"], body["text"], g.actor)
        return message_view(message)


@blp.route("/track")
class Track(MethodView):
    @blp.arguments(TrackIn)
    @blp.response(200, TrackOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """The client's status page as an API (no token). A wrong number and a wrong contact both give 404;
        look-ups are limited per address (429)."""
        found = engine().track_complaint(body["number"], body["contact"], request.remote_addr)
        if found is None:
            raise ComplaintNotFound("No complaint with this number and contact.")
        return as_dict(found)


@blp.route("/surveys/<token>")
class Survey(MethodView):
    @blp.arguments(SurveyIn)
    @blp.response(201, ClientVerdictOut)
    def post(self, body: dict[str, Any], token: str) -> Any:
        """The client's verdict through the one-time link of the survey e-mail (no token; 409 once used)."""
        return engine().answer_survey(token[:100], Verdict(body["solved"], body["satisfaction"], body["comment"]),
                                      request.remote_addr)
