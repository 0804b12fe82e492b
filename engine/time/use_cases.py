"""Use cases of time: firing due timers, what-if deadlines and the calendar overrides QMS sets."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn.runtime import Runtime
from engine.errors import StepFailed
from engine.people import access
from engine.people.actor import Actor
from engine.time import deadlines, timers
from models import ProcessInstance


def fire_due_timers(rt: Runtime, now: dt.datetime | None = None) -> list[str]:
    """Fire every timer due before `now`; one instance per transaction. Returns the business keys
    advanced. A failing instance opens an incident and the others still fire."""
    now = now or rt.clock()
    instance_ids = list(rt.session.scalars(timers.due_timers_query(now)))
    rt.session.commit()
    fired = []
    for instance_id in instance_ids:
        try:
            key = rt.retrying(lambda instance_id=instance_id: _fire_in_transaction(rt, instance_id, now))
            if key is not None:
                fired.append(key)
        except StepFailed:
            with rt.transaction() as s:
                timers.mark_failed(s, instance_id, now)
    return fired


def _fire_in_transaction(rt: Runtime, instance_id: int, now: dt.datetime) -> str | None:
    with rt.transaction() as s:
        if _fire_instance(rt, s, instance_id, now):
            return s.get(ProcessInstance, instance_id).business_key
    return None


def _fire_instance(rt: Runtime, s: Session, instance_id: int, now: dt.datetime) -> bool:
    # The instance first, then its timers: the order a completion takes them in, so the two never deadlock.
    instance = access.lock_instance(s, instance_id)
    if not timers.claim_due(s, instance_id, now):
        return False
    deployed = rt.definitions.get(s, instance.definition_id)
    workflow = rt.load(instance, deployed)
    actor, fired_at = Actor("scheduler"), max(rt.clock(), now)
    rt.advance(s, instance, workflow, actor, fired_at, workflow.refresh_timers)
    rt.save(s, instance, workflow, deployed, actor, fired_at)
    return True


def pending_timer_dues(rt: Runtime) -> list[dt.datetime]:
    return timers.pending_dues(rt.session)


def what_if(rt: Runtime, received_at: dt.datetime) -> dict[str, Any]:
    """Every step deadline that a registration at `received_at` would get, from the deployed diagrams."""
    deployed = rt.definitions.latest(rt.session, rt.settings.complaint_process)
    return deadlines.what_if(deployed, rt.script_engine, received_at, rt.calendars.current(),
                             rt.settings.warning_fraction)


def set_calendar_override(rt: Runtime, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                          actor: Actor) -> None:
    with rt.transaction() as s:
        deadlines.set_override(s, day, kind, periods, note, actor.name, rt.clock())
    rt.calendars.invalidate()


def remove_calendar_override(rt: Runtime, day: dt.date, actor: Actor) -> None:
    with rt.transaction() as s:
        deadlines.remove_override(s, day, actor.name, rt.clock())
    rt.calendars.invalidate()
