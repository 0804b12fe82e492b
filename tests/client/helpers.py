"""Shared steps of the client-side tests: reading reply fixtures and walking stage 1 to its close."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import Task, db

REPLIES = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "replies"
STAGE1 = [("accept", {"belongs_to_department": True}),
          ("first_contact", {"client_reached": True, "contact_summary": "Договорились о переносе базы"}),
          ("correction", {"justification": "justified", "importance": "high", "correction": "Перенесли базу на SSD",
                          "agreed_with_client": True, "immediate": True, "compensation": "apology"}),
          ("verify", {"solution_works": True, "verification_note": "Клиент подтвердил"}),
          ("handover", {"satisfied": True, "loyal": True, "handover_summary": "Решено"}),
          ("qms_close_stage1", {"close_decision": "close"})]


def reply(name: str, number: str = "", in_reply_to: str = "") -> bytes:
    """A reply fixture with the complaint number and the Message-ID it answers filled in."""
    raw = (REPLIES / name).read_bytes()
    return raw.replace(b"{{NUMBER}}", number.encode()).replace(b"{{IN_REPLY_TO}}", in_reply_to.encode())


def close_stage1(engine: ProcessEngine, number: str) -> None:
    for bpmn_id, data in STAGE1:
        task = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
        assert task.bpmn_id == bpmn_id
        engine.complete_task(task.id, data, Actor("tester"))
