"""Complaints: the case with its stages, steps, open tasks and history."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.errors import ComplaintNotFound
from web.api.schemas import ComplaintOut, HistoryOut
from web.queries import complaint_view, find_complaint, history

PREFIX = "/complaints"
blp = Blueprint("api_complaints", __name__, description="Complaints (претензии)")


@blp.route("/<number>")
class ComplaintItem(MethodView):
    @blp.response(200, ComplaintOut)
    def get(self, number: str) -> dict[str, Any]:
        complaint = find_complaint(number)
        if complaint is None:
            raise ComplaintNotFound(f"No complaint {number}.")
        return complaint_view(complaint)


@blp.route("/<number>/history")
class ComplaintHistory(MethodView):
    @blp.response(200, HistoryOut)
    def get(self, number: str) -> dict[str, Any]:
        if find_complaint(number) is None:
            raise ComplaintNotFound(f"No complaint {number}.")
        return {"complaint": number, "events": history(number)}
