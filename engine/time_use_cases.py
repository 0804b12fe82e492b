"""Use cases of time: firing due timers, what-if deadlines, calendar overrides, retrying incidents."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from engine import access, deadlines, projection, timers
from engine.actor import Actor
from engine.core import EngineCore
from engine.errors import Conflict, IncidentNotFound, StepFailed
from models import Incident, ProcessInstance


class TimeUseCases(EngineCore):
    """The part of the engine's front door that deals with time; `ProcessEngine` adds the rest."""

    def fire_due_timers(self, now: dt.datetime | None = None) -> list[str]:
        """Fire every timer due before `now`; one instance per transaction. Returns the business keys
        advanced. A failing instance opens an incident and the others still fire."""
        now = now or self.clock()
        instance_ids = list(self.session.scalars(timers.due_timers_query(now)))
        self.session.commit()
        fired = []
        for instance_id in instance_ids:
            try:
                with self._transaction() as s:
                    if self._fire_instance(s, instance_id, now):
                        fired.append(s.get(ProcessInstance, instance_id).business_key)
            except StepFailed:
                with self._transaction() as s:
                    timers.mark_failed(s, instance_id, now)
        return fired

    def _fire_instance(self, s: Session, instance_id: int, now: dt.datetime) -> bool:
        if not timers.claim_due(s, instance_id, now):
            return False
        instance = access.lock_instance(s, instance_id)
        deployed = self.definitions.get(s, instance.definition_id)
        workflow = self._load(instance, deployed)
        actor, fired_at = Actor("scheduler"), max(self.clock(), now)
        self._advance(s, instance, workflow, actor, fired_at, workflow.refresh_timers)
        self._save(s, instance, workflow, deployed, actor, fired_at)
        return True

    def retry_incident(self, incident_id: int, actor: Actor) -> Incident:
        """Run the instance on from its last saved state (re-arming failed timers); on success the incident
        is resolved, on failure it stays open and StepFailed names the new incident."""
        with self._transaction() as s:
            incident = s.get(Incident, incident_id)
            if incident is None or incident.instance_id is None:
                raise IncidentNotFound(f"No incident {incident_id} with an instance.")
            if incident.resolved_at is not None:
                raise Conflict(f"Incident {incident_id} is already resolved.")
            now = self.clock()
            instance = access.lock_instance(s, incident.instance_id)
            deployed = self.definitions.get(s, instance.definition_id)
            workflow = self._load(instance, deployed)
            timers.rearm_failed(s, instance.id)
            self._advance(s, instance, workflow, actor, now, workflow.refresh_timers)
            incident.resolved_at, incident.resolved_by = now, actor.name
            if instance.status == "incident":
                instance.status = "active"
            projection.record(s, instance, actor, "incident_resolved", now, {"incident": incident_id})
            self._save(s, instance, workflow, deployed, actor, now)
            return incident

    def pending_timer_dues(self) -> list[dt.datetime]:
        return timers.pending_dues(self.session)

    def what_if(self, received_at: dt.datetime) -> dict[str, Any]:
        """Every step deadline that a registration at `received_at` would get, from the deployed diagrams."""
        deployed = self.definitions.latest(self.session, self.settings.complaint_process)
        return deadlines.what_if(deployed, self.script_engine, received_at, self.calendars.current(),
                                 self.settings.warning_fraction)

    def set_calendar_override(self, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                              actor: Actor) -> None:
        with self._transaction() as s:
            deadlines.set_override(s, day, kind, periods, note, actor.name, self.clock())
        self.calendars.invalidate()

    def remove_calendar_override(self, day: dt.date, actor: Actor) -> None:
        with self._transaction() as s:
            deadlines.remove_override(s, day, actor.name, self.clock())
        self.calendars.invalidate()
