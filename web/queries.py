"""Read models for the API and pages: complaints with their steps, task lists, history."""
from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, select

from engine.bpmn.steps import STEPS
from engine.errors import TaskNotFound
from models import (
    Appeal,
    Attachment,
    ClientSurvey,
    Complaint,
    Deadline,
    Department,
    Incident,
    ProcessInstance,
    Task,
    User,
    db,
)


def engine() -> Any:
    return current_app.extensions["complaint_engine"]


def task_view(row: Task) -> dict[str, Any]:
    """A task already at hand (its assignee and its instance's definition are read for it)."""
    return _view(row, row.assignee.login if row.assignee else None, engine().form_schema(row))


def _with_assignee_and_version(stmt: Select[tuple[Task]]) -> Select[tuple[Task, str | None, int]]:
    """The tasks `stmt` selects with their assignee's login and their definition version, in the same
    statement: a list of any length costs one statement."""
    return (stmt.add_columns(User.login, ProcessInstance.definition_id)
            .outerjoin(User, User.id == Task.assignee_id)
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id))


# Built once: every answer about one task runs it (after a claim, an assignment, a completion).
_TASK_BY_ID = _with_assignee_and_version(select(Task).where(Task.id == bindparam("task_id")))


def task_view_by_id(task_id: str) -> dict[str, Any]:
    """One task as it stands, in one statement (also the answer to a use case that just changed it)."""
    views = _views(db.session.execute(_TASK_BY_ID, {"task_id": task_id}))
    if not views:
        raise TaskNotFound(f"No task {task_id}.")
    return views[0]


def _views(rows: Any) -> list[dict[str, Any]]:
    return [_view(row, login, engine().task_form(definition_id, row.form)) for row, login, definition_id in rows]


def _view(row: Task, assignee: str | None, form: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": row.id, "business_key": row.business_key, "step": row.step, "bpmn_id": row.bpmn_id,
        "name": row.name, "lane": row.lane, "candidate_group": row.candidate_group, "assignee": assignee,
        "status": row.status, "created_at": row.created_at, "due_at": row.due_at,
        "completed_at": row.completed_at, "completed_by": row.completed_by, "form": form,
    }


def steps_of(complaint: Complaint, tasks: list[Task]) -> list[dict[str, Any]]:
    result = []
    deadlines = {d.step: d for d in db.session.scalars(select(Deadline).where(
        Deadline.business_key == complaint.number))}
    now = dt.datetime.now(dt.UTC)
    for code, name in STEPS:
        mine = [t for t in tasks if t.step == code]
        done = [t for t in mine if t.status == "completed"]
        if any(t.status == "open" for t in mine):
            status = "open"
        elif done:
            status = "done"
        elif complaint.stage1_status == "closed":
            status = "skipped"
        else:
            status = "pending"
        d = deadlines.get(code)
        result.append({
            "code": code, "name": name, "status": status, "times_completed": len(done),
            "completed_at": max((t.completed_at for t in done), default=None),
            "due_at": d.due_at if d else None, "goal_at": d.goal_at if d else None,
            "warned_at": d.warned_at if d else None, "breached_at": d.breached_at if d else None,
            "on_time": d.on_time if d else None, "working_minutes": d.working_minutes if d else None,
            "overdue": bool(d and (d.breached_at or (d.completed_at is None and status != "skipped"
                                                     and now > d.due_at))),
        })
    return result


def find_complaint(number: str) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.number == number))


# As many of a counterparty's other appeals as the appeal card lists: a client of many years would
# otherwise make every registration's answer longer than the one before.
PREVIOUS_APPEALS = 100


def previous_appeals(counterparty_id: int | None, exclude_id: int | None) -> list[str]:
    """The numbers of the counterparty's other appeals, newest first, at most PREVIOUS_APPEALS."""
    if counterparty_id is None:
        return []
    rows = db.session.scalars(select(Appeal.number).where(Appeal.counterparty_id == counterparty_id,
                                                          Appeal.id != exclude_id)
                              .order_by(Appeal.received_at.desc(), Appeal.id.desc()).limit(PREVIOUS_APPEALS))
    return [n for n in rows if n]


def complaint_view(c: Complaint) -> dict[str, Any]:
    tasks = list(db.session.scalars(select(Task).where(Task.business_key == c.number)
                                    .order_by(Task.created_at)))
    others = [] if c.counterparty_id is None else [n for n in db.session.scalars(
        select(Complaint.number).where(Complaint.counterparty_id == c.counterparty_id, Complaint.id != c.id)
        .order_by(Complaint.registered_at.desc())) if n]
    incidents = db.session.scalars(select(Incident).where(Incident.business_key == c.number,
                                                          Incident.resolved_at.is_(None)))
    status = "closed" if c.stage2_status == "closed" else f"stage{c.stage}_open"
    return {
        "number": c.number, "status": status, "stage": c.stage, "stage1_status": c.stage1_status,
        "stage2_status": c.stage2_status, "registered_at": c.registered_at,
        "appeal_number": c.appeal.number, "subject": c.appeal.subject, "text": c.appeal.text,
        "channel": c.appeal.channel, "kind": c.kind, "counterparty": c.counterparty, "contact": c.contact,
        "department": c.department.code if c.department else None,
        "responsible": c.responsible.display_name if c.responsible else None,
        "responsible_user": c.responsible_user.login if c.responsible_user else None,
        "importance": c.importance, "justification": c.justification, "correction": c.correction,
        "implementation_date": c.implementation_date, "compensation": c.compensation,
        "satisfied": c.satisfied, "loyal": c.loyal, "stage1_closed_at": c.stage1_closed_at,
        "stage2_closed_at": c.stage2_closed_at,
        "open_tasks": [task_view(t) for t in tasks if t.status == "open"],
        "steps": steps_of(c, tasks), "participants": c.participants, "nonconformities": c.nonconformities,
        "corrective_actions": c.corrective_actions,
        "previous_appeals": previous_appeals(c.counterparty_id, c.appeal_id),
        "counterparty_complaints": others,
        "incidents": [{"id": i.id, "opened_at": i.opened_at.isoformat(), "element_id": i.element_id,
                       "message": i.message} for i in incidents],
        "client_verdict": db.session.scalar(select(ClientSurvey).where(ClientSurvey.complaint_id == c.id)),
    }


def history(number: str) -> list[Any]:
    """The complaint's events with their data opened by the engine (which holds the case keys)."""
    return engine().history(number)  # type: ignore[no-any-return]


# The list's filters, each a column compared with a parameter of the same name.
_TASK_FILTERS = {"status": Task.status, "complaint": Task.business_key, "assignee": User.login,
                 "department": Task.candidate_group}


@functools.lru_cache(maxsize=2 ** len(_TASK_FILTERS))
def _task_list(filters: frozenset[str]) -> Select[tuple[Task, str | None, int]]:
    """The list's statement for a set of filters, built once per set (building it cost more than running it)."""
    stmt = select(Task).order_by(Task.due_at.is_(None), Task.due_at, Task.created_at)
    for name in sorted(filters):  # the assignee's login is in the join that reads it
        stmt = stmt.where(_TASK_FILTERS[name] == bindparam(name))
    return _with_assignee_and_version(stmt.limit(500))


def tasks(complaint: str | None, assignee: str | None, department: str | None, status: str) -> list[dict[str, Any]]:
    given = {"complaint": complaint, "assignee": assignee, "department": department,
             "status": None if status == "all" else status}
    params = {name: value for name, value in given.items() if value}
    return _views(db.session.execute(_task_list(frozenset(params)), params))


def department_exists(code: str) -> bool:
    return db.session.scalar(select(Department.id).where(Department.code == code)) is not None


def find_appeal(number: str) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.number == number))


def appeal_view(a: Appeal) -> dict[str, Any]:
    """The appeal card (REQUIREMENTS §4): its fields, how it was handled, and the counterparty's others."""
    complaint = db.session.scalar(select(Complaint).where(Complaint.appeal_id == a.id))
    appeals: list[Appeal] = [] if a.counterparty_id is None else list(db.session.scalars(
        select(Appeal).where(Appeal.counterparty_id == a.counterparty_id, Appeal.id != a.id)
        .order_by(Appeal.received_at.desc()).limit(100)))
    complaints: list[Complaint] = [] if a.counterparty_id is None else list(db.session.scalars(
        select(Complaint).where(Complaint.counterparty_id == a.counterparty_id)
        .order_by(Complaint.registered_at.desc()).limit(100)))
    attachments = db.session.scalars(select(Attachment).where(Attachment.appeal_id == a.id,
                                                              Attachment.client_message_id.is_(None))
                                     .order_by(Attachment.id))
    end = a.closed_at or dt.datetime.now(dt.UTC)
    return {
        "number": a.number, "received_at": a.received_at, "type": a.type, "channel": a.channel,
        "state": a.state, "importance": a.importance, "kind": a.kind, "subject": a.subject, "text": a.text,
        "previous_appeals_text": a.previous_appeals_text, "situation_date": a.situation_date,
        "software": a.software, "work_done": a.work_done, "project": a.project, "tendency": a.tendency,
        "author": a.author, "counterparty": a.counterparty, "contact": a.contact,
        "department": a.department.code if a.department else None,
        "responsible": a.responsible.display_name if a.responsible else None,
        "days_open": (end - a.received_at).days, "remind_at": a.remind_at,
        "reminder_sent_at": a.reminder_sent_at, "closed_at": a.closed_at, "resolution": a.resolution,
        "processed_by": a.processed_by, "complaint_number": complaint.number if complaint else None,
        "attachments": [{"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size}
                        for f in attachments],
        "counterparty_appeals": [{"number": o.number, "received_at": o.received_at, "type": o.type,
                                  "state": o.state, "subject": o.subject} for o in appeals],
        "counterparty_complaints": [{"number": c.number, "registered_at": c.registered_at,
                                     "stage1_status": c.stage1_status, "stage2_status": c.stage2_status}
                                    for c in complaints],
    }
