"""Process drafts: saved in the deployment's shape, one per process (the last save wins), reopened, discarded."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from engine import Actor, Bundle, ProcessEngine
from models import ProcessDefinition, ProcessDraft, db

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def test_a_draft_is_saved_reopened_replaced_and_discarded(engine: ProcessEngine) -> None:
    shipped = Bundle.from_directory(PROCESSES)
    assert engine.load_draft("complaint") is None
    broken = Bundle({**shipped.bpmn, "complaint.bpmn": "<not xml"}, shipped.forms)
    engine.save_draft("complaint", broken, "в работе", 1, Actor("Владелец процесса"))  # a draft may be broken
    draft = engine.load_draft("complaint")
    assert draft is not None and (draft["bpmn"], draft["forms"]) == (broken.bpmn, shipped.forms)
    assert (draft["comment"], draft["base_version"], draft["saved_by"]) == ("в работе", 1, "Владелец процесса")
    engine.save_draft("complaint", shipped, None, 1, Actor("Другой владелец"))
    assert db.session.scalar(select(func.count()).select_from(ProcessDraft)) == 1
    assert engine.load_draft("complaint")["saved_by"] == "Другой владелец"
    assert engine.discard_draft("complaint") is True and engine.load_draft("complaint") is None
    assert engine.discard_draft("complaint") is False
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 1
