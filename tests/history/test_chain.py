"""The chain as the engine writes it: one per instance, 1..n, linked, sealed data, the head on the instance;
and every kind of tampering named by its first broken link, through the command and the API."""
from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from engine import Actor, ProcessEngine
from engine.history import chain
from models import InstanceEvent, Task, db
from tests.conftest import history_events
from tests.history.helpers import BOTH_STAGES, behind_the_guard, instance_of, walk


def _verify_cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["verify-history", *args])


def test_both_stages_leave_one_linked_chain_with_its_head_on_the_instance(engine: ProcessEngine, register: Any,
                                                                         app: Flask) -> None:
    number, other = register(), register(subject="Не печатается счёт")
    walk(engine, number, BOTH_STAGES)
    instance = instance_of(number)
    assert instance.status == "completed"
    rows = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)
                                   .order_by(InstanceEvent.seq)))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) > 15
    # Each link hashes the one before it (the database keeps only each event's own hash; readers show the
    # previous one from the row before).
    assert all(r.hash == chain.link_hash(r.instance_id, number, r.seq, r.at, r.actor, r.kind, r.task_id, r.bpmn_id,
                                         r.step, r.sealed, earlier.hash if earlier else chain.GENESIS)
               for earlier, r in zip([None, *rows], rows, strict=False))
    shown = history_events(instance_id=instance.id)
    assert shown[0].prev_hash == chain.GENESIS.hex()
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(shown))
    assert (instance.history_seq, instance.history_head) == (rows[-1].seq, rows[-1].hash)
    assert {r.kind for r in rows} >= {"started", "task_completed", "completed"}
    # The other complaint's chain is its own: it starts at 1 too.
    assert [e.seq for e in history_events(instance_id=instance_of(other).id)][:2] == [1, 2]
    # The data is stored sealed, and opened for readers.
    handover = next(e for e in history_events("task_completed", instance_id=instance.id) if e.bpmn_id == "handover")
    assert handover.data["form"]["handover_summary"] == "Решено, но клиент уходит" and not handover.erased
    sealed = next(r.sealed for r in rows if r.id == handover.id)
    assert "Решено".encode() not in sealed
    report = engine.verify_history()
    assert (report.ok, report.instances, report.events) == (True, 2, len(rows) + len(history_events(
        instance_id=instance_of(other).id)))
    done = _verify_cli(app)
    assert done.exit_code == 0 and f"OK: 2 instances, {report.events} events" in done.output


def test_no_client_personal_data_in_the_plain_columns_or_the_ciphertext(engine: ProcessEngine, register: Any) -> None:
    """Who acted is staff or a channel; what a person wrote about the client goes only into sealed data."""
    number = register(contact_email="loskova@example.ru")
    said = {"client_reached": True, "contact_summary": "Лоськова Г. Н., тел. (951) 511-35-23, loskova@example.ru"}
    walk(engine, number, [BOTH_STAGES[0], ("first_contact", said)])
    person = ("Лоськова", "511-35-23", "loskova@example.ru", "РРМОО", "6165456519")
    raw = db.session.execute(text("SELECT actor, kind, task_id, bpmn_id, step, sealed FROM instance_event")).all()
    assert len(raw) >= 4
    for row in raw:
        plain = " ".join(str(v) for v in row[:5]).encode() + bytes(row[5] or b"")
        assert [p for p in person if p.encode() in plain] == []
    [contact] = [e for e in history_events("task_completed") if e.bpmn_id == "first_contact"]
    assert contact.data["form"]["contact_summary"] == said["contact_summary"]  # there, but only sealed


def test_appending_costs_only_the_event_inserts(engine: ProcessEngine, register: Any) -> None:
    """The head and the key ride on the instance row the step saves anyway: no history read, one UPDATE."""
    number = register()
    [task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        engine.complete_task(task.id, {"belongs_to_department": True}, Actor("tester"))
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert not [s for s in seen if "instance_event" in s and not s.startswith("insert into instance_event")]
    assert len([s for s in seen if s.startswith("update process_instance")]) == 1
    assert len(history_events(instance_id=instance_of(number).id)) > 3


@pytest.fixture
def walked(engine: ProcessEngine, register: Any) -> tuple[str, list[InstanceEvent]]:
    register(subject="Первая, целая")
    number = register()
    walk(engine, number, BOTH_STAGES[:4])
    rows = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance_of(number).id)
                                   .order_by(InstanceEvent.seq)))
    assert engine.verify_history().ok
    return number, rows


def _first_break(app: Flask, client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    """The first broken link as the API names it; the command names the same and exits 1."""
    answer = client.get("/api/v1/history/verify", headers=auth)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] is False
    broken = body["broken"]
    done = _verify_cli(app)
    assert done.exit_code == 1
    assert (f"BROKEN: instance {broken['instance_id']} ({broken['business_key']}), seq {broken['seq']}, "
            f"event {broken['event_id']}: {broken['problem']}") in done.output
    return broken


def test_a_changed_row_is_named(app: Flask, client: FlaskClient, auth: dict[str, str],
                                walked: tuple[str, list[InstanceEvent]]) -> None:
    number, rows = walked
    victim = rows[4]
    behind_the_guard("UPDATE instance_event SET actor = 'someone else' WHERE id = :id", id=victim.id)
    broken = _first_break(app, client, auth)
    assert broken == {"instance_id": victim.instance_id, "business_key": number, "seq": 5, "event_id": victim.id,
                      "problem": "hash_mismatch", "message": broken["message"]}
    assert "changed" in broken["message"]


def test_sealed_data_swapped_between_events_is_named(app: Flask, client: FlaskClient, auth: dict[str, str],
                                                     walked: tuple[str, list[InstanceEvent]]) -> None:
    _number, rows = walked
    donor, victim = [r for r in rows if r.sealed is not None][2:4]
    behind_the_guard("UPDATE instance_event SET sealed = :sealed WHERE id = :id", sealed=donor.sealed, id=victim.id)
    broken = _first_break(app, client, auth)
    assert (broken["seq"], broken["event_id"], broken["problem"]) == (victim.seq, victim.id, "hash_mismatch")


def test_a_deleted_row_is_named_at_the_gap(app: Flask, client: FlaskClient, auth: dict[str, str],
                                           walked: tuple[str, list[InstanceEvent]]) -> None:
    _number, rows = walked
    behind_the_guard("DELETE FROM instance_event WHERE id = :id", id=rows[3].id)
    broken = _first_break(app, client, auth)
    assert (broken["seq"], broken["event_id"], broken["problem"]) == (5, rows[4].id, "missing_events")


def test_the_last_row_deleted_is_caught_by_the_head(app: Flask, client: FlaskClient, auth: dict[str, str],
                                                    walked: tuple[str, list[InstanceEvent]]) -> None:
    _number, rows = walked
    behind_the_guard("DELETE FROM instance_event WHERE id = :id", id=rows[-1].id)
    broken = _first_break(app, client, auth)
    assert (broken["seq"], broken["event_id"], broken["problem"]) == (rows[-2].seq, rows[-2].id, "head_mismatch")


def test_an_inserted_row_is_named(app: Flask, client: FlaskClient, auth: dict[str, str],
                                  walked: tuple[str, list[InstanceEvent]]) -> None:
    """A forged event made to look right (its seq after the last, linked to it, hashed by the recipe)
    still does not match the head the instance keeps; one squeezed in renumbers nothing and breaks a link."""
    _number, rows = walked
    last = rows[-1]
    at = last.at
    forged = chain.link_hash(last.instance_id, instance_of(_number).business_key, last.seq + 1, at, "forger",
                             "task_completed", None, None, None, None, last.hash)
    behind_the_guard("INSERT INTO instance_event (instance_id, seq, at, actor, kind, hash) "
                     "VALUES (:i, :seq, :at, 'forger', 'task_completed', :hash)",
                     i=last.instance_id, seq=last.seq + 1, at=at, hash=forged)
    broken = _first_break(app, client, auth)
    assert (broken["seq"], broken["problem"]) == (last.seq + 1, "head_mismatch")


def test_timers_calendar_moves_and_assignments_keep_every_chain_valid(engine: ProcessEngine, register: Any) -> None:
    """The other writers of history (timers firing, deadlines moved by the calendar, claims and assignments)
    append to the same chains: after each, every chain still verifies and the head is the last event."""
    import datetime as dt

    import time_machine

    from tests.engine.test_deadlines import msk

    with time_machine.travel(msk("2025-11-24T10:00"), tick=False) as clock:
        number = register()
        engine.set_calendar_override(dt.date(2025, 11, 24), "shortened", [("09:00", "10:30")], "учения", Actor("qms"))
        clock.move_to(msk("2025-11-25T09:31"))
        assert engine.fire_due_timers()
        [task] = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open"))
        engine.assign(task.id, "qms", Actor("qms"), "Разберусь сам")
        instance = instance_of(number)
        kinds = [e.kind for e in history_events(instance_id=instance.id)]
        assert {"deadline_moved", "task_assigned"} <= set(kinds) and any(k.startswith("timer_") for k in kinds)
        rows = list(db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)
                                       .order_by(InstanceEvent.seq)))
        assert (instance.history_seq, instance.history_head) == (rows[-1].seq, rows[-1].hash)
        assert engine.verify_history().ok


def test_an_event_alone_moves_the_head_at_commit_and_a_rollback_forgets_it(engine: ProcessEngine,
                                                                         register: Any) -> None:
    """A use case that writes nothing else on the instance (a note in the history) still leaves the head
    right; a rolled-back append leaves no trace for the next one."""
    import datetime as dt

    from engine.history import writer

    number = register()
    instance = instance_of(number)
    seq = instance.history_seq
    writer.append(db.session, instance, "qms", "note", dt.datetime.now(dt.UTC), {"text": "rolled back"})
    db.session.rollback()
    instance = instance_of(number)
    writer.append(db.session, instance, "qms", "note", dt.datetime.now(dt.UTC), {"text": "kept"})
    db.session.commit()
    instance = instance_of(number)
    assert instance.history_seq == seq + 1
    assert history_events("note")[0].data == {"text": "kept"} and engine.verify_history().ok
