"""The conversation with the client on the complaint card: the whole exchange, and writing to the client."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, url_for
from flask import request as http
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from models import Attachment, ClientMessage, ClientSurvey, Complaint, db
from web.permissions import WORKERS
from web.ui.access import actor
from web.ui.messages import localized_fields

bp = Blueprint("conversation", __name__)

DELIVERY: dict[str, Any] = {"pending": _l("ожидает отправки"), "sending": _l("отправляется"),
                            "sent": _l("отправлено"), "failed": _l("не доставлено")}


def conversation_view(complaint: Complaint, draft: dict[str, str] | None = None,
                      errors: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """What `_conversation.html` shows: messages in order with files and delivery state, the client's verdict."""
    messages = list(db.session.scalars(select(ClientMessage).where(ClientMessage.complaint_id == complaint.id)
                                       .order_by(ClientMessage.at, ClientMessage.id)))
    files: dict[int, list[Attachment]] = {}
    for row in db.session.scalars(select(Attachment).where(
            Attachment.client_message_id.in_([m.id for m in messages]))):
        files.setdefault(row.client_message_id or 0, []).append(row)
    may_write = any(current_user.has_role(r) for r in WORKERS)
    return {"client_messages": messages, "message_files": files, "delivery_labels": DELIVERY,
            "client_survey": db.session.scalar(select(ClientSurvey).where(ClientSurvey.complaint_id == complaint.id)),
            "may_write": may_write, "message_draft": draft or {}, "message_errors": errors or {}}


@bp.route("/complaints/<number>/messages", methods=["POST"])
def write(number: str) -> Response | tuple[str, int]:
    subject, text = http.form.get("subject", ""), http.form.get("text", "")
    try:
        current_app.extensions["complaint_engine"].write_to_client(number, subject, text, actor())
    except InvalidInput as err:
        from web.ui.complaints import render_card  # the card module imports this one for conversation_view

        errors = localized_fields(err.fields)
        return render_card(number, {"subject": subject, "text": text}, errors), 422
    return redirect(url_for("complaints.card", number=number, _anchor="conversation"))
