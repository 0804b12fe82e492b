"""Row access shared by the use cases: finding open tasks, locking instances, who may work on a task."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotAllowed, TaskAssignedToOther, TaskNotFound, TaskNotOpen
from engine.messages import Message
from engine.people.actor import Actor
from models import Department, ProcessInstance, Task, User


def lock_instance(s: Session, instance_id: int) -> ProcessInstance:
    """Lock the instance row (FOR UPDATE on PostgreSQL) and read it fresh."""
    stmt = select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    return s.scalars(stmt.execution_options(populate_existing=True)).one()


def open_task(s: Session, task_id: str) -> Task:
    row = s.get(Task, task_id)
    if row is None:
        raise TaskNotFound(Message("No task {task}.", task=task_id))
    if row.status != "open":
        raise TaskNotOpen(Message("Task {task} is already {status}.", task=task_id, status=row.status))
    return row


def lock_open_task(s: Session, task_id: str) -> tuple[Task, ProcessInstance]:
    """The task and its locked instance, checked open *after* the lock: an action that raced a completion
    sees the completion and is refused."""
    row = open_task(s, task_id)
    instance = lock_instance(s, row.instance_id)
    s.refresh(row)
    if row.status != "open":
        raise TaskNotOpen(Message("Task {task} is already {status}.", task=task_id, status=row.status))
    return row, instance


def check_may_assign(s: Session, row: Task, actor: Actor, target: User) -> None:
    """Who may give a task to whom: whoever may work on it (QMS, its assignee, its department while it is
    unassigned) gives it to an active person who may work on it too — a member of the task's department or
    QMS. The acting person's own right is checked first, so a refusal never reveals the target's."""
    check_may_work(s, row, actor)
    if not target.active:
        raise NotAllowed(Message("User {login} is not active.", login=target.login))
    if target.has_role("qms") or row.candidate_group in {d.code for d in target.departments}:
        return
    raise NotAllowed(Message("User {login} cannot work on tasks of department {department}.",
                                     login=target.login, department=row.candidate_group))


def check_may_work(s: Session, row: Task, actor: Actor) -> None:
    """Users work on their own tasks or their departments' unassigned ones; QMS on any. API clients acting
    for nobody are trusted integrations limited by their scopes."""
    if actor.user_id is None:
        return
    user = s.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotAllowed(Message("Unknown or inactive user."))
    if user.has_role("qms") or row.assignee_id == user.id:
        return
    if row.assignee_id is not None:
        raise TaskAssignedToOther(Message("Task {task} is assigned to {name}.", task=row.id,
                                          name=row.assignee.full_name))
    if row.candidate_group not in {d.code for d in user.departments}:
        raise NotAllowed(Message("Task {task} belongs to department {department}.", task=row.id,
                                 department=row.candidate_group))


def known(s: Session, source: str, value: str) -> bool:
    """Whether a form value that refers to a record (`x-source`) names one that exists."""
    if source == "departments":
        return s.scalar(select(Department.id).where(Department.code == value)) is not None
    if source == "users":
        return s.scalar(select(User.id).where(User.login == value, User.active.is_(True))) is not None
    return False
