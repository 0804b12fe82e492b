"""Stage 2 as a register: nonconformities across complaints, and corrective tasks given and reported."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from web import improvement_register as register
from web.api.blueprint import Blueprint
from web.api.improvement_schemas import CorrectiveAssignIn, CorrectiveTaskOut, RegisterOut, RegisterQuery
from web.queries import engine

PREFIX = "/improvement"
blp = Blueprint("api_improvement", __name__, description="Stage 2: nonconformities and corrective tasks")


@blp.route("/nonconformities")
class Nonconformities(MethodView):
    @blp.arguments(RegisterQuery, location="query")
    @blp.response(200, RegisterOut)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Nonconformities of every complaint, newest complaint first, with their complaint's corrective tasks."""
        filters = dict(query)
        filters["from"] = filters.pop("from_", None)
        return {"items": register.nonconformities(filters)}


@blp.route("/actions/<int:action_id>/assign")
class AssignCorrectiveTask(MethodView):
    @blp.arguments(CorrectiveAssignIn)
    @blp.response(200, CorrectiveTaskOut)
    def post(self, body: dict[str, Any], action_id: int) -> dict[str, Any]:
        """QMS gives the task to a user; the deadline ends that many working days after today."""
        action = engine().assign_corrective_task(action_id, body["assignee"], body["working_days"], g.actor)
        return register.action_view(action)


@blp.route("/actions/<int:action_id>/done")
class FinishCorrectiveTask(MethodView):
    @blp.response(200, CorrectiveTaskOut)
    def post(self, action_id: int) -> dict[str, Any]:
        """Its assignee (or QMS) reports the task done today."""
        return register.action_view(engine().finish_corrective_task(action_id, g.actor))
