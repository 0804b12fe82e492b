"""The warm cache: a process keeps each saved instance's workflow and rows, and uses them only while the
database row still has the revision and history head it saw — whoever else changed the instance meanwhile."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.errors import InvalidInput
from models import Deadline, ProcessInstance, Task, Timer, db
from tests.engine.test_paths import ACCEPT, CORRECT_NOW, REACHED, WORKS
from web.app import create_app


def _open(number: str) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()


def _projection(number: str) -> dict[str, Any]:
    """What the rows say about a complaint: open tasks, pending timers, deadlines."""
    db.session.expire_all()
    return {
        "tasks": sorted((t.bpmn_id, t.status, t.due_at) for t in db.session.scalars(
            select(Task).where(Task.business_key == number))),
        "timers": sorted((t.bpmn_id, t.status, t.due_at) for t in db.session.scalars(
            select(Timer).where(Timer.business_key == number))),
        "deadlines": sorted((d.step, d.due_at, d.started_at, d.completed_at, d.on_time) for d in db.session.scalars(
            select(Deadline).where(Deadline.business_key == number))),
    }


@pytest.fixture
def other_process(app: Flask, config: Any) -> Flask:
    """A second application on the same database: another worker, with its own session and cache."""
    return create_app(config)


def test_an_instance_changed_by_another_process_is_read_again(app: Flask, engine: ProcessEngine, register,
                                                               other_process: Flask) -> None:
    number = register()
    engine.complete_task(_open(number).id, ACCEPT, Actor("tester"))  # this process keeps the instance warm
    task = _open(number)
    with other_process.app_context():  # the other worker completes the next step from the database
        other_process.extensions["complaint_engine"].complete_task(task.id, REACHED, Actor("other"))
        db.session.remove()
    db.session.expire_all()
    hits = engine.runtime.warm.hits
    correction = _open(number)
    assert correction.bpmn_id == "correction"
    engine.complete_task(correction.id, CORRECT_NOW, Actor("tester"))
    assert engine.runtime.warm.hits == hits  # the kept copy was older than the row: not used
    assert _open(number).bpmn_id == "verify"
    assert engine.verify_history().ok


def test_warm_and_cold_runs_leave_the_same_rows(engine: ProcessEngine, register) -> None:
    steps = [ACCEPT, REACHED, CORRECT_NOW, WORKS]
    warm, cold = register(), register()
    for data in steps:
        engine.complete_task(_open(warm).id, data, Actor("tester"))
    engine.runtime.warm.size = 0
    engine.runtime.warm.clear()
    for data in steps:
        engine.complete_task(_open(cold).id, data, Actor("tester"))
    assert engine.runtime.warm.hits >= len(steps) - 1

    def shape(number: str) -> dict[str, Any]:
        found = _projection(number)
        return {k: [tuple(x is not None for x in row[1:]) + row[:1] for row in v] for k, v in found.items()}

    assert shape(warm) == shape(cold)
    assert engine.verify_history().ok


def test_a_refused_completion_does_not_leave_its_changes_in_the_cache(engine: ProcessEngine, register) -> None:
    number = register()
    engine.complete_task(_open(number).id, ACCEPT, Actor("tester"))
    task = _open(number)
    with pytest.raises(InvalidInput):
        engine.complete_task(task.id, {"client_reached": "maybe"}, Actor("tester"))
    engine.complete_task(task.id, REACHED, Actor("tester"))
    assert _open(number).bpmn_id == "correction"
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()
    workflow = engine.runtime.warm._entries[instance.id].workflow
    [ready] = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "correction" and t.state == TaskState.READY]
    assert ready.data.get("client_reached") is True
