"""POST /api/v1/feedback: the site form as an API for sites that post it themselves (no token; rate-limited)."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from engine.intake.public import FeedbackInput
from web.api.blueprint import Blueprint
from web.api.schemas import FeedbackIn, FeedbackOut
from web.queries import engine

PREFIX = "/feedback"
blp = Blueprint("api_feedback", __name__, description="The public site feedback form")


@blp.route("")
class Feedback(MethodView):
    @blp.arguments(FeedbackIn)
    @blp.response(201, FeedbackOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Gratitude, complaint or suggestion from the site; consents are required and stored with their version."""
        if body.get("website"):
            return {"number": None, "complaint_number": None, "answer_by": None}
        appeal, complaint, answer_by = engine().submit_feedback(FeedbackInput(
            type=body["type"], message=body["message"], full_name=body.get("full_name", ""),
            organisation=body.get("organisation", ""), inn=body.get("inn", ""), phone=body.get("phone", ""),
            email=body.get("email", ""), consent_personal_data=body["consent_personal_data"],
            consent_agreement=body["consent_agreement"]), request.remote_addr)
        return {"number": appeal.number, "complaint_number": complaint.number if complaint else None,
                "answer_by": answer_by or None}
