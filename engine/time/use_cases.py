"""Use cases of time: firing due timers, what-if deadlines, QMS's calendar overrides and department calendars."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.persistence import dump_workflow
from engine.bpmn.runtime import Runtime
from engine.errors import InvalidInput
from engine.history import vault
from engine.messages import Message
from engine.people import access
from engine.people.actor import Actor
from engine.time import deadlines, departments, firing, rearm, timers
from models import Complaint, Department, InstanceEvent, ProcessInstance, Timer


def fire_due_timers(rt: Runtime, now: dt.datetime | None = None) -> list[str]:
    """The scheduler's tick: every timer due before `now` fires (engine/time/firing.py)."""
    return firing.fire_due_timers(rt, now)


def next_timer_due(rt: Runtime, after: dt.datetime) -> dt.datetime | None:
    """When the next pending timer falls due after `after`: the scheduler's one exact wake-up."""
    return timers.next_pending_due(rt.session, after)


def what_if(rt: Runtime, received_at: dt.datetime, department: str | None = None) -> dict[str, Any]:
    """Every step deadline that a registration at `received_at` (for `department`, on its calendar) would
    get, from the deployed diagrams."""
    if department and rt.session.scalar(select(Department.id).where(Department.code == department)) is None:
        raise InvalidInput("Unknown department.",
                           {"department": [Message("Unknown department: {code}.", code=department)]})
    deployed = rt.definitions.latest(rt.session, rt.settings.complaint_process)
    with deadlines.department_calendar(department):
        planned = deadlines.what_if(deployed, rt.script_engine, received_at, rt.calendars.current(),
                                    rt.settings.warning_fraction)
    return {**planned, "department": department}


def set_calendar_override(rt: Runtime, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                          actor: Actor) -> int:
    """Set QMS's override of a date and move the open steps' deadlines it affects; returns how many moved."""
    with rt.transaction() as s:
        now = rt.clock()
        deadlines.set_override(s, day, kind, periods, note, actor.name, now)
        rt.calendars.invalidate()
        moved = move_deadlines(rt, s, actor, now, {"reason": "calendar_override", "day": day.isoformat()})
    rt.calendars.invalidate()
    return moved


def remove_calendar_override(rt: Runtime, day: dt.date, actor: Actor) -> int:
    with rt.transaction() as s:
        now = rt.clock()
        deadlines.remove_override(s, day, actor.name, now)
        rt.calendars.invalidate()
        moved = move_deadlines(rt, s, actor, now, {"reason": "calendar_override_removed", "day": day.isoformat()})
    rt.calendars.invalidate()
    return moved


def set_department_calendar(rt: Runtime, code: str, timezone: str, holidays: list[tuple[str, str]],
                            actor: Actor) -> int:
    """Give a department (a branch) its own time zone and extra days off; its open complaints' deadlines
    move to that calendar. Returns how many instances moved."""
    with rt.transaction() as s:
        now = rt.clock()
        departments.set_calendar(s, code, timezone, holidays, actor.name, now)
        rt.calendars.invalidate()
        moved = move_deadlines(rt, s, actor, now, {"reason": "department_calendar", "department": code}, code)
    rt.calendars.invalidate()
    return moved


def remove_department_calendar(rt: Runtime, code: str, actor: Actor) -> int:
    with rt.transaction() as s:
        now = rt.clock()
        departments.remove_calendar(s, code, actor.name, now)
        rt.calendars.invalidate()
        moved = move_deadlines(rt, s, actor, now, {"reason": "department_calendar", "department": code}, code)
    rt.calendars.invalidate()
    return moved


def move_deadlines(rt: Runtime, s: Session, actor: Actor, now: dt.datetime, reason: dict[str, Any],
                   department: str | None = None) -> int:
    """Evaluate the deadlines of every open complaint (of `department` when given) again on the calendar as
    it is now: waiting timers re-armed, planned deadlines moved, each move in the history."""
    waiting = select(Timer.instance_id).where(Timer.status == "pending")
    stmt = select(ProcessInstance.id).where(ProcessInstance.id.in_(waiting))
    if department:
        stmt = stmt.join(Complaint, Complaint.number == ProcessInstance.business_key).join(
            Department, Department.id == Complaint.department_id).where(Department.code == department)
    moved = 0
    for instance_id in list(s.scalars(stmt.order_by(ProcessInstance.id))):
        instance = access.lock_instance(s, instance_id)
        deployed = rt.definitions.get(s, instance.definition_id)
        workflow = rt.load(instance, deployed)
        fired = set(s.scalars(select(Timer.id).where(Timer.instance_id == instance_id, Timer.status == "fired")))
        moves = rearm.recompute(workflow, fired)
        complaint = s.scalar(select(Complaint).where(Complaint.number == instance.business_key))
        if complaint is not None:
            planned = deadlines.what_if(deployed, rt.script_engine, complaint.registered_at, rt.calendars.current(),
                                        rt.settings.warning_fraction)
            rearm.replan(s, complaint, instance, planned, actor, now, reason)
        if moves:
            instance.state, instance.updated_at = dump_workflow(workflow), now
            rt.note_armed(rearm.project(s, instance, moves, actor, now, reason))
            moved += 1
    return moved


# --- previews: what a calendar change would move, before it is saved ---------------------------------------------
Change = Callable[[Session, dt.datetime], tuple[dict[str, Any], str | None]]


class _Undo(Exception):
    """Raised inside a preview's transaction so that it rolls back; carries what would have moved."""

    def __init__(self, moves: list[dict[str, Any]]) -> None:
        super().__init__("preview")
        self.moves = moves


def _dry_run(rt: Runtime, actor: Actor, change: Change) -> list[dict[str, Any]]:
    """Make the change and move every open deadline exactly as saving would, then roll it all back: the preview
    runs the same code as the save, so it cannot promise other moves than the save makes."""
    try:
        with rt.transaction() as s:
            now = rt.clock()
            reason, department = change(s, now)
            rt.calendars.invalidate()
            move_deadlines(rt, s, actor, now, reason, department)
            s.flush()
            raise _Undo(_moves(s, now, reason))
    except _Undo as undo:
        return undo.moves
    finally:
        rt.calendars.invalidate()


def _moves(s: Session, since: dt.datetime, reason: dict[str, Any]) -> list[dict[str, Any]]:
    ids = s.scalars(select(InstanceEvent.instance_id).where(
        InstanceEvent.kind == "deadline_moved", InstanceEvent.at >= since).distinct())
    events = [e for e in vault.opened_events(s, list(ids), ("deadline_moved",)) if e.at >= since and e.data]
    moves = [{"number": e.business_key, "step": e.data.get("step"), "deadline": e.data.get("deadline"),
              "from": e.data.get("from"), "to": e.data.get("to")}
             for e in events if all(e.data.get(k) == v for k, v in reason.items())]
    return sorted(moves, key=lambda m: (m["number"], m["step"] or "", m["deadline"] or ""))


def _override_reason(day: dt.date, removed: bool) -> dict[str, Any]:
    return {"reason": "calendar_override_removed" if removed else "calendar_override", "day": day.isoformat()}


def preview_calendar_override(rt: Runtime, day: dt.date, kind: str, periods: list[tuple[str, str]], note: str,
                              actor: Actor, remove: bool = False) -> list[dict[str, Any]]:
    """The open deadlines that setting (or removing) the override of `day` would move, nothing saved."""
    def change(s: Session, now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        if remove:
            deadlines.remove_override(s, day, actor.name, now)
        else:
            deadlines.set_override(s, day, kind, periods, note, actor.name, now)
        return _override_reason(day, remove), None

    return _dry_run(rt, actor, change)


def preview_department_calendar(rt: Runtime, code: str, timezone: str, holidays: list[tuple[str, str]],
                                actor: Actor, remove: bool = False) -> list[dict[str, Any]]:
    """The open deadlines of the department that giving it this calendar (or removing its own) would move."""
    def change(s: Session, now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        if remove:
            departments.remove_calendar(s, code, actor.name, now)
        else:
            departments.set_calendar(s, code, timezone, holidays, actor.name, now)
        return {"reason": "department_calendar", "department": code}, code

    return _dry_run(rt, actor, change)


def recent_moves(rt: Runtime, since: dt.datetime, day: dt.date | None = None, department: str | None = None,
                 removed: bool = False) -> list[dict[str, Any]]:
    """The deadlines a calendar change saved since `since` moved (read back from the history)."""
    reason = (_override_reason(day, removed) if day is not None
              else {"reason": "department_calendar", "department": department})
    return _moves(rt.session, since, reason)
