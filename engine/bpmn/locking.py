"""The first read of a task completion: the open task, its locked instance and its complaint, in one statement.

The ORM could read the same five rows in one query (instance, task, complaint, the complaint's department and
contact), but building the objects through its loader cost four times what the statement did. Here the
statement is plain SQL and each row becomes a persistent object the way the warm cache makes its rows
(`rows.adopt`): the same objects, in the same session, as the ORM would have given.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn import rows
from engine.errors import TaskNotFound, TaskNotOpen
from engine.messages import Message
from models import Complaint, Contact, Department, ProcessInstance, Task

# The rows read, each with the columns read: every column but the instance's state (the warm cache may hold
# the workflow; when it does not, the state is read when first used, as a deferred column is).
_READ = ((ProcessInstance, ("state",)), (Task, ()), (Complaint, ()), (Department, ()), (Contact, ()))


@cache
def _statement() -> tuple[Any, list[tuple[type, list[tuple[str, str]]]]]:
    """The statement (built once) and, per row read, its class with each attribute's label."""
    labels, shape = [], []
    for n, (cls, left_out) in enumerate(_READ):
        names = []
        for attr in inspect(cls).column_attrs:
            if attr.key not in left_out:
                label = f"r{n}_{attr.key}"
                labels.append(attr.columns[0].label(label))
                names.append((attr.key, label))
        shape.append((cls, names))
    stmt = (select(*labels).select_from(ProcessInstance)
            .join(Task, Task.instance_id == ProcessInstance.id)
            .outerjoin(Complaint, Complaint.number == Task.business_key)
            .outerjoin(Department, Department.id == Complaint.department_id)
            .outerjoin(Contact, Contact.id == Complaint.contact_id)
            .where(Task.id == bindparam("task_id"))
            # The instance is locked before the task, the order every use case takes them in.
            .with_for_update(of=[ProcessInstance.__table__, Task.__table__]))
    return stmt, shape


def lock_task_to_work(s: Session, task_id: str) -> tuple[Task, ProcessInstance, Complaint | None]:
    """The open task, its locked instance and its complaint with the complaint's department and contact. Both
    locked rows are read as they stand after the lock: an action that raced a completion sees the
    completion and is refused."""
    stmt, shape = _statement()
    found = s.connection().execute(stmt, {"task_id": task_id}).one_or_none()
    if found is None:
        raise TaskNotFound(Message("No task {task}.", task=task_id))
    values = found._mapping
    objects = []
    for cls, names in shape:
        row = {key: values[label] for key, label in names}
        objects.append(None if row["id"] is None else rows.adopt(s, cls, row))
    instance, task, complaint, department, contact = objects
    for obj in (instance, task, complaint):  # relationships read before the lock may name other rows now
        state = inspect(obj) if obj is not None else None
        if state is not None and (loaded := [r.key for r in state.mapper.relationships if r.key in state.dict]):
            s.expire(obj, loaded)
    if "state" in inspect(instance).dict:  # read earlier in this session: what it held may be older than the lock
        s.expire(instance, ["state"])
    if complaint is not None:
        set_committed_value(complaint, "department", department)
        set_committed_value(complaint, "contact", contact)
    if task.status != "open":
        raise TaskNotOpen(Message("Task {task} is already {status}.", task=task_id, status=task.status))
    return task, instance, complaint
