"""Human tasks: the inbox, claiming, assigning and completing with form data."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.errors import TaskNotFound
from models import Task, db
from web.api.schemas import AssignIn, ClaimIn, CompleteIn, TaskOut, TaskQuery
from web.queries import engine, task_view, tasks

PREFIX = "/tasks"
blp = Blueprint("api_tasks", __name__, description="Human tasks")


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.response(200, TaskOut(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Tasks sorted by deadline; filters: complaint, assignee (login), department (code), status."""
        rows = tasks(query.get("complaint"), query.get("assignee"), query.get("department"), query["status"])
        return [task_view(r) for r in rows]


@blp.route("/<task_id>")
class TaskItem(MethodView):
    @blp.response(200, TaskOut)
    def get(self, task_id: str) -> dict[str, Any]:
        row = db.session.get(Task, task_id)
        if row is None:
            raise TaskNotFound(f"No task {task_id}.")
        return task_view(row)


@blp.route("/<task_id>/claim")
class TaskClaim(MethodView):
    @blp.arguments(ClaimIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Take the task: the acting user, or for an API client acting for nobody, the named user."""
        if g.actor.user_id is None and body.get("user"):
            return task_view(engine().assign(task_id, body["user"], g.actor, "claimed through the API"))
        return task_view(engine().claim(task_id, g.actor))


@blp.route("/<task_id>/assign")
class TaskAssign(MethodView):
    @blp.arguments(AssignIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Give the task to another user, with the reason kept in the assignment history."""
        return task_view(engine().assign(task_id, body["user"], g.actor, body.get("reason")))


@blp.route("/<task_id>/complete")
class TaskComplete(MethodView):
    @blp.arguments(CompleteIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Complete the task with data that must pass its form's schema."""
        return task_view(engine().complete_task(task_id, body["data"], g.actor))
