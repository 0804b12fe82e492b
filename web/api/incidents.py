"""Incidents: failures of diagrams or timers that need a person, and retrying them."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from sqlalchemy import select

from models import Incident, db
from web.api.blueprint import Blueprint
from web.api.schemas import IncidentOut, IncidentQuery, IncidentResolveIn
from web.queries import engine

PREFIX = "/incidents"
blp = Blueprint("api_incidents", __name__, description="Incidents of process instances")


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(IncidentQuery, location="query")
    @blp.response(200, IncidentOut(many=True))
    def get(self, query: dict[str, Any]) -> list[Incident]:
        """Open incidents (or all with `status=all`), newest first."""
        stmt = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(500)
        if query["status"] == "open":
            stmt = stmt.where(Incident.resolved_at.is_(None))
        return list(db.session.scalars(stmt))


@blp.route("/<int:incident_id>/retry")
class IncidentRetry(MethodView):
    @blp.response(200, IncidentOut)
    def post(self, incident_id: int) -> Incident:
        """Run the instance on from its last saved state; 500 with a new incident id if it fails again."""
        return engine().retry_incident(incident_id, g.actor)


@blp.route("/<int:incident_id>/resolve")
class IncidentResolve(MethodView):
    @blp.arguments(IncidentResolveIn)
    @blp.response(200, IncidentOut)
    def post(self, body: dict[str, Any], incident_id: int) -> Incident:
        """Close an incident by hand with a comment saying what was done; recorded in the history."""
        return engine().resolve_incident(incident_id, body["comment"], g.actor)
