"""Projections written beside each save: open tasks, history events and the complaint's business fields."""
from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from engine.bpmn import rows as instance_rows
from engine.bpmn import walk
from engine.bpmn.definitions import Deployed
from engine.bpmn.rows import InstanceRows
from engine.history import writer as history
from engine.intake.appeals import responsible_of
from engine.people.actor import Actor
from models import (
    AnalysisParticipant,
    Complaint,
    CorrectiveAction,
    Department,
    Nonconformity,
    ProcessInstance,
    Task,
    User,
)


def current_data(workflow: BpmnWorkflow, ready: list[Any] | None = None) -> dict[str, Any]:
    """The process variables as they stand: the data a waiting person would see next (`ready`: the ready
    human tasks, when the caller has them)."""
    if workflow.is_completed():
        return dict(workflow.data)
    ready = walk.ready_human_tasks(workflow) if ready is None else ready
    if ready:
        return dict(max(ready, key=lambda t: t.last_state_change).data)
    done = list(workflow.get_tasks(state=TaskState.COMPLETED))
    return dict(max(done, key=lambda t: t.last_state_change).data) if done else {}


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def record(session: Session, instance: ProcessInstance, actor: Actor, kind: str, now: dt.datetime,
           data: dict[str, Any] | None = None, task: Task | None = None) -> None:
    history.append(session, instance, actor.name, kind, now, data,
                   task.id if task else None, task.bpmn_id if task else None, task.step if task else None)


def _group(lane: str | None, lane_groups: dict[str, str], data: dict[str, Any]) -> str | None:
    if lane and lane in lane_groups:
        return lane_groups[lane]
    return data.get("department")


def complaint_of(session: Session, instance: ProcessInstance) -> Complaint | None:
    """The instance's complaint, read once per transaction."""
    return instance_rows.complaint(session, instance.business_key, lambda: session.scalar(
        select(Complaint).where(Complaint.number == instance.business_key)))


def sync_tasks(session: Session, instance: ProcessInstance, complaint: Complaint | None, workflow: BpmnWorkflow,
               deployed: Deployed, lane_groups: dict[str, str], actor: Actor, now: dt.datetime,
               known: InstanceRows, ready_tasks: list[Any] | None = None) -> list[Task]:
    """Open a row for every new ready human task and cancel rows whose task went away."""
    ready = {str(t.id): t for t in (walk.ready_human_tasks(workflow) if ready_tasks is None else ready_tasks)}
    rows = {r.id: r for r in known.tasks.values() if r.status == "open"}
    for task_id, row in rows.items():
        if task_id not in ready:
            row.status = "cancelled"
            row.completed_at = now
    created = []
    for task_id, spiff_task in ready.items():
        if task_id in rows:
            continue
        spec = spiff_task.task_spec
        group = _group(spec.lane, lane_groups, spiff_task.data)
        assignee = None
        if complaint is not None and spec.lane not in lane_groups:
            assignee = complaint.responsible_user_id
        form_name, _schema = deployed.form_of(spec)
        row = Task(id=task_id, instance_id=instance.id, business_key=instance.business_key,
                   bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                   step=spec.extensions.get("properties", {}).get("step"), lane=spec.lane,
                   candidate_group=group, assignee_id=assignee, form=form_name, status="open", created_at=now)
        known.tasks[task_id] = row
        created.append(row)
        record(session, instance, actor, "task_created", now, {"candidate_group": group}, row)
    return created


def _as_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


_SIMPLE = {
    "importance": str, "justification": str, "kind": str, "correction": str,
    "compensation": str, "satisfied": bool, "loyal": bool, "implementation_date": _as_date,
}


def _replace_rows(complaint: Complaint, data: dict[str, Any]) -> None:
    if "participants" in data and isinstance(data["participants"], list):
        complaint.participants = [AnalysisParticipant(department=p.get("department", ""),
                                                      actions=p.get("actions", ""))
                                  for p in data["participants"]]
    if "nonconformities" in data and isinstance(data["nonconformities"], list):
        complaint.nonconformities = [Nonconformity(department=n.get("department", ""),
                                                   process=n.get("process", ""), product=n.get("product"),
                                                   description=n.get("description", ""))
                                     for n in data["nonconformities"]]
    if "corrective_actions" in data and isinstance(data["corrective_actions"], list):
        _corrective_rows(complaint, [a for a in data["corrective_actions"] if isinstance(a, dict)])


def _corrective_rows(complaint: Complaint, actions: list[dict[str, Any]]) -> None:
    """Rows updated in place by position, so a corrective task keeps its id (the register and the inbox link
    to it) while the process data, its source, changes."""
    session = object_session(complaint)
    rows = list(complaint.corrective_actions)
    for i, a in enumerate(actions):
        row = rows[i] if i < len(rows) else CorrectiveAction()
        login = a.get("assignee_login")
        row.assignee_user_id = session.scalar(select(User.id).where(User.login == login)) \
            if login and session is not None else None
        row.description, row.assignee = a.get("description", ""), a.get("assignee", "")
        row.deadline, row.done_on = _as_date(a.get("deadline")), _as_date(a.get("done_on"))
        row.status = a.get("status") or "planned"
        if i >= len(rows):
            complaint.corrective_actions.append(row)
    for extra in rows[len(actions):]:
        complaint.corrective_actions.remove(extra)


def _route(session: Session, complaint: Complaint, code: str, instance: ProcessInstance, actor: Actor,
           now: dt.datetime) -> None:
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        return
    before = complaint.department.code if complaint.department else None
    responsible = responsible_of(department)
    complaint.department = department
    complaint.responsible = responsible
    complaint.responsible_user_id = responsible.user_id if responsible else None
    record(session, instance, actor, "responsible_assigned", now, {
        "from_department": before, "department": code,
        "responsible": responsible.display_name if responsible else None,
    })


def project_complaint(session: Session, instance: ProcessInstance, complaint: Complaint, data: dict[str, Any],
                      actor: Actor, now: dt.datetime) -> None:
    """Copy the business facts the process decided into the complaint record."""
    current = complaint.department.code if complaint.department else None
    if isinstance(data.get("department"), str) and data["department"] != current:
        _route(session, complaint, data["department"], instance, actor, now)
    for key, convert in _SIMPLE.items():
        if key in data and data[key] is not None:
            setattr(complaint, key, convert(data[key]))
    if data.get("stage1_status") and data["stage1_status"] != complaint.stage1_status:
        complaint.stage1_status = data["stage1_status"]
        if complaint.stage1_status == "closed":
            complaint.stage1_closed_at = now
    if data.get("stage2_status") and data["stage2_status"] != complaint.stage2_status:
        complaint.stage2_status = data["stage2_status"]
        complaint.stage = 2
        if complaint.stage2_status == "closed":
            complaint.stage2_closed_at = now
    _replace_rows(complaint, data)
