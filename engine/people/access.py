"""Row access shared by the use cases: finding open tasks, locking instances, who may work on a task."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotAllowed, TaskAssignedToOther, TaskNotFound, TaskNotOpen
from engine.people.actor import Actor
from models import Department, ProcessInstance, Task, User


def lock_instance(s: Session, instance_id: int) -> ProcessInstance:
    """Lock the instance row (FOR UPDATE on PostgreSQL) and read it fresh."""
    stmt = select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    return s.scalars(stmt.execution_options(populate_existing=True)).one()


def open_task(s: Session, task_id: str) -> Task:
    row = s.get(Task, task_id)
    if row is None:
        raise TaskNotFound(f"No task {task_id}.")
    if row.status != "open":
        raise TaskNotOpen(f"Task {task_id} is already {row.status}.")
    return row


def check_may_work(s: Session, row: Task, actor: Actor) -> None:
    """Users work on their own tasks or their departments' unassigned ones; QMS on any. API clients acting
    for nobody are trusted integrations limited by their scopes."""
    if actor.user_id is None:
        return
    user = s.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotAllowed("Unknown or inactive user.")
    if user.has_role("qms") or row.assignee_id == user.id:
        return
    if row.assignee_id is not None:
        raise TaskAssignedToOther(f"Task {row.id} is assigned to {row.assignee.full_name}.")
    if row.candidate_group not in {d.code for d in user.departments}:
        raise NotAllowed(f"Task {row.id} belongs to department {row.candidate_group}.")


def known(s: Session, source: str, value: str) -> bool:
    """Whether a form value that refers to a record (`x-source`) names one that exists."""
    if source == "departments":
        return s.scalar(select(Department.id).where(Department.code == value)) is not None
    return False
