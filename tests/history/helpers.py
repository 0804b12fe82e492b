"""Helpers for history tests: a complaint run through both stages, and changing rows behind the guards' back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from engine import Actor, ProcessEngine
from models import ProcessInstance, Task, db
from tests.engine.test_paths import (
    ACCEPT,
    CLOSE1,
    CORRECT_NOW,
    HANDOVER,
    REACHED,
    STAGE2_SHORT,
    WORKS,
)

BOTH_STAGES = [("accept", ACCEPT), ("first_contact", REACHED), ("correction", CORRECT_NOW), ("verify", WORKS),
               ("handover", HANDOVER), ("qms_close_stage1", CLOSE1), *STAGE2_SHORT]


def walk(engine: ProcessEngine, number: str, steps: list[tuple[str, dict[str, Any]]]) -> None:
    for bpmn_id, data in steps:
        [task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
        assert task.bpmn_id == bpmn_id
        engine.complete_task(task.id, data, Actor("tester"))


def instance_of(number: str) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == number)).one()


def behind_the_guard(sql: str, **params: Any) -> None:
    """Run SQL the database would refuse, as someone with the power to switch the guard off would:
    PostgreSQL skips triggers for one transaction (replica role); SQLite has its triggers dropped and
    made again from their own SQL around the statement."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(sql), params)
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            conn.execute(text(sql), params)
            for _name, trigger_sql in triggers:
                conn.execute(text(trigger_sql))
    db.session.expire_all()
