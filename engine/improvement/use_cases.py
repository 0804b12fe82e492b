"""Use cases of stage 2's corrective tasks: QMS gives one to a user with a deadline in working days, and its
assignee reports it done. The process data stays the source (the department's report and QMS's closing
step read it); the `corrective_action` rows are its projection."""
from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import projection, walk
from engine.bpmn.runtime import Runtime
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.improvement import overdue
from engine.messages import Message
from engine.people import access
from engine.people.actor import Actor
from models import CorrectiveAction, ProcessInstance, User

MAX_WORKING_DAYS = 250


class CorrectiveTaskNotFound(NotFound):
    pass


def assign_corrective_task(rt: Runtime, action_id: int, login: str, working_days: int,
                           actor: Actor) -> CorrectiveAction:
    """QMS gives a corrective task to a user; its deadline ends `working_days` working days after today, on
    the complaint department's calendar."""
    def change(s: Session, action: CorrectiveAction, item: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        _check_qms(s, actor)
        problems: dict[str, list[str]] = {}
        user = s.scalar(select(User).where(User.login == login, User.active.is_(True)))
        if user is None:
            problems["assignee"] = [f"No active user {login}."]
        if not 1 <= working_days <= MAX_WORKING_DAYS:
            problems["working_days"] = [f"From 1 to {MAX_WORKING_DAYS} working days."]
        if problems or user is None:
            raise InvalidInput("The assignment has errors.", problems)
        department = action.complaint.department.code if action.complaint.department else None
        calendar = rt.calendars.of_department(department)
        deadline = calendar.end_of_working_day(now, working_days).astimezone(calendar.tz).date()
        item.update(assignee=user.full_name, assignee_login=user.login, deadline=deadline.isoformat())
        if item.get("status") in (None, "", "planned"):
            item["status"] = "in_progress"
        return {"assignee": user.login, "working_days": working_days, "deadline": deadline.isoformat()}

    return _change(rt, action_id, actor, "corrective_task_assigned", change)


def finish_corrective_task(rt: Runtime, action_id: int, actor: Actor) -> CorrectiveAction:
    """The assignee (or QMS) reports the corrective task done today."""
    def change(s: Session, action: CorrectiveAction, item: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        if action.assignee_user_id is None or action.assignee_user_id != actor.user_id:
            _check_qms(s, actor, Message("Only its assignee or QMS reports a corrective task done."))
        if item.get("status") == "done":
            raise Conflict(Message("Corrective task {task} is already done.", task=action_id))
        department = action.complaint.department.code if action.complaint.department else None
        today = now.astimezone(rt.calendars.of_department(department).tz).date()
        item.update(status="done", done_on=today.isoformat())
        return {"done_on": today.isoformat()}

    return _change(rt, action_id, actor, "corrective_task_done", change)


def notify_overdue_corrective_tasks(rt: Runtime, now: dt.datetime | None = None) -> list[int]:
    """The scheduler's job: corrective tasks past their deadline are reported to their assignee and QMS,
    once. With two schedulers the second's insert meets the outbox's unique dedupe key and gives way."""
    try:
        with rt.transaction() as s:
            return overdue.notify_overdue(s, now or rt.clock(), rt.tz, rt.settings.qms_department,
                                          rt.settings.public.base_url.rstrip("/"))
    except IntegrityError:
        return []


def _check_qms(s: Session, actor: Actor, refusal: str = Message("Only QMS gives corrective tasks to people.")) -> None:
    if actor.user_id is None:
        return  # an integration, limited by its scope
    user = s.get(User, actor.user_id)
    if user is None or not user.active or not user.has_role("qms"):
        raise NotAllowed(refusal)


Change = Callable[[Session, CorrectiveAction, dict[str, Any], dt.datetime], dict[str, Any]]


def _change(rt: Runtime, action_id: int, actor: Actor, kind: str, change: Change) -> CorrectiveAction:
    """Lock the complaint's instance, change the task's item in the data of every waiting step that holds
    the corrective tasks, record it in the history and save (which projects the rows again)."""
    with rt.transaction() as s:
        now = rt.clock()
        found = s.get(CorrectiveAction, action_id)
        if found is None:
            raise CorrectiveTaskNotFound(Message("No corrective task {task}.", task=action_id))
        complaint = found.complaint
        instance_id = s.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == complaint.number)
                               .order_by(ProcessInstance.id.desc()).limit(1))
        if instance_id is None:
            raise Conflict(Message("Complaint {number} has no process.", number=complaint.number))
        instance = access.lock_instance(s, instance_id)
        s.refresh(found)
        position = [a.id for a in complaint.corrective_actions].index(found.id)
        deployed = rt.definitions.get(s, instance.definition_id)
        workflow = rt.load(instance, deployed)
        holders = [t for t in walk.ready_human_tasks(workflow)
                   if isinstance(t.data.get("corrective_actions"), list)
                   and len(t.data["corrective_actions"]) > position]
        if not holders:
            raise Conflict(Message("Stage 2 of {number} is not working on its corrective tasks now.",
                                   number=complaint.number))
        actions = copy.deepcopy(holders[0].data["corrective_actions"])
        details = change(s, found, actions[position], now)
        for task in holders:
            task.data["corrective_actions"] = copy.deepcopy(actions)
        projection.record(s, instance, actor, kind, now, {"task": actions[position].get("description"), **details})
        rt.save(s, instance, workflow, deployed, actor, now)
        s.flush()
        s.refresh(found)
        return found
