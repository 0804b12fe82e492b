"""Human tasks: the inbox, claiming, assigning and completing with form data."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import AssignIn, ClaimIn, CompleteIn, TaskOut, TaskQuery
from web.queries import engine, task_view_by_id, tasks

PREFIX = "/tasks"
blp = Blueprint("api_tasks", __name__, description="Human tasks")


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.response(200, TaskOut(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Tasks sorted by deadline; filters: complaint, assignee (login), department (code), status."""
        return tasks(query.get("complaint"), query.get("assignee"), query.get("department"), query["status"])


@blp.route("/<task_id>")
class TaskItem(MethodView):
    @blp.response(200, TaskOut)
    def get(self, task_id: str) -> dict[str, Any]:
        return task_view_by_id(task_id)


@blp.route("/<task_id>/claim")
class TaskClaim(MethodView):
    @blp.arguments(ClaimIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Take the task: the acting user, or for an API client acting for nobody, the named user."""
        if g.actor.user_id is None and body.get("user"):
            engine().assign(task_id, body["user"], g.actor, "claimed through the API")
        else:
            engine().claim(task_id, g.actor)
        return task_view_by_id(task_id)


@blp.route("/<task_id>/assign")
class TaskAssign(MethodView):
    @blp.arguments(AssignIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Give the task to another user, with the reason kept in the assignment history."""
        engine().assign(task_id, body["user"], g.actor, body.get("reason"))
        return task_view_by_id(task_id)


@blp.route("/<task_id>/complete")
class TaskComplete(MethodView):
    @blp.arguments(CompleteIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Complete the task with data that must pass its form's schema."""
        engine().complete_task(task_id, body["data"], g.actor)
        return task_view_by_id(task_id)
