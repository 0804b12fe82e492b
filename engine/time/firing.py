"""The scheduler's tick: fire every due timer, notice timers in batches and the rest through the engine.

A tick works in rounds. Each round reads a slice of the due timers, the oldest and the newest, so a timer that
falls due while a long backlog clears waits for one round, not for the whole backlog. Notice timers
(engine/time/notice_timers.py) fire set-based, a batch of instances per transaction; any other due timer
fires by loading its instance's workflow, one instance per transaction, a few per round.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import Runtime
from engine.errors import ConcurrentUpdate, Deadlock, StepFailed
from engine.people import access
from engine.people.actor import Actor
from engine.time import notice_timers, timers
from models import ProcessInstance, Timer

FIRE_ATTEMPTS = 3
# A round's size bounds the wait of a timer that falls due during a tick; a batch's fixed cost (about fifteen
# statements) is small beside a hundred timers' rows.
OLDEST_PER_ROUND = 120  # due timers read per round, from the oldest due
NEWEST_PER_ROUND = 30  # and from the newest: what fell due while the tick runs
ENGINE_PER_ROUND = 5  # instances fired through the engine per round (each loads its workflow)


def fire_due_timers(rt: Runtime, now: dt.datetime | None = None) -> list[str]:
    """Fire every timer due before `now` (before the moment of each round when not given). Returns the business
    keys advanced. A failing instance opens an incident and the others still fire."""
    fired: list[str] = []
    passed: set[int] = set()  # tried in this tick and left pending: not tried again until the next tick
    while True:
        moment = now or rt.clock()
        notices, others = _due_slice(rt, moment, passed)
        rt.session.commit()
        if not notices and not others:
            return fired
        # The engine's few first, newest due first: a batch of notices must not hold them for its whole length.
        fired += _fire_some_through_engine(rt, others[:ENGINE_PER_ROUND], moment, passed)
        if notices:
            outcome = _fire_notices(rt, notices, moment)
            fired += outcome.fired
            passed.update(outcome.passed)
            fired += _fire_some_through_engine(rt, outcome.for_engine, moment, passed)


def _fire_some_through_engine(rt: Runtime, instance_ids: list[int], now: dt.datetime, passed: set[int]) -> list[str]:
    fired = []
    for instance_id in instance_ids:
        # Once per tick: a timer the workflow does not fire yet must not keep the tick going.
        passed.add(instance_id)
        key = _fire_through_engine(rt, instance_id, now)
        if key is not None:
            fired.append(key)
    return fired


def _due_slice(rt: Runtime, now: dt.datetime, passed: set[int]) -> tuple[list[int], list[int]]:
    """Instances with due timers, split by what the diagram says their due timers need: (notice, engine)."""
    s = rt.session
    columns = select(Timer.instance_id, Timer.bpmn_id, ProcessInstance.definition_id, ProcessInstance.status).join(
        ProcessInstance, ProcessInstance.id == Timer.instance_id).where(Timer.status == "pending", Timer.due_at < now)
    if passed:
        columns = columns.where(Timer.instance_id.not_in(passed))
    rows = [*s.execute(columns.order_by(Timer.due_at.desc()).limit(NEWEST_PER_ROUND)),
            *s.execute(columns.order_by(Timer.due_at).limit(OLDEST_PER_ROUND))]
    needs_engine: dict[int, bool] = {}
    for instance_id, bpmn_id, definition_id, status in rows:
        notice = status == "active" and bpmn_id in _notice_ids(rt, s, definition_id)
        needs_engine[instance_id] = needs_engine.get(instance_id, False) or not notice
    return ([i for i, engine in needs_engine.items() if not engine],
            [i for i, engine in needs_engine.items() if engine])


def _notice_ids(rt: Runtime, s: Session, definition_id: int) -> frozenset[str]:
    return notice_timers.notice_timer_ids(rt.definitions.get(s, definition_id))


def _fire_notices(rt: Runtime, instance_ids: list[int], now: dt.datetime) -> notice_timers.Outcome:
    """One transaction for the batch; when it cannot commit, each instance goes through the engine instead,
    which retries conflicts and opens incidents one instance at a time."""
    def attempt() -> notice_timers.Outcome:
        with rt.transaction() as s:
            return notice_timers.fire(s, lambda definition_id: rt.definitions.get(s, definition_id), instance_ids,
                                      now, max(rt.clock(), now), rt.settings.qms_department)
    try:
        return rt.retrying(attempt)
    except (ConcurrentUpdate, Deadlock):
        return notice_timers.Outcome(for_engine=list(instance_ids))


# --- through the engine: one instance per transaction ---------------------------------------------------------
def _fire_through_engine(rt: Runtime, instance_id: int, now: dt.datetime) -> str | None:
    try:
        return _fire_racing_changes(rt, instance_id, now)
    except StepFailed:
        with rt.transaction() as s:
            timers.mark_failed(s, instance_id, now)
        return None


def _fire_racing_changes(rt: Runtime, instance_id: int, now: dt.datetime) -> str | None:
    """Fire one instance; when a completion in another process changed it between this read and write (on
    SQLite, which has no row locks: the revision check or a busy database says so), read it again and fire."""
    for remaining in range(FIRE_ATTEMPTS - 1, -1, -1):
        try:
            return rt.retrying(lambda: _fire_in_transaction(rt, instance_id, now))
        except ConcurrentUpdate:
            if remaining == 0:
                return None  # still pending: the next tick fires it
    raise AssertionError("unreachable")


def _fire_in_transaction(rt: Runtime, instance_id: int, now: dt.datetime) -> str | None:
    with rt.transaction() as s:
        if _fire_instance(rt, s, instance_id, now):
            return s.get(ProcessInstance, instance_id).business_key
    return None


def _fire_instance(rt: Runtime, s: Session, instance_id: int, now: dt.datetime) -> bool:
    # The instance first, then its timers: the order a completion takes them in, so the two never deadlock.
    instance = access.lock_instance(s, instance_id)
    if not timers.claim_due(s, instance_id, now):
        return False
    deployed = rt.definitions.get(s, instance.definition_id)
    workflow = rt.load(instance, deployed)
    actor, fired_at = Actor("scheduler"), max(rt.clock(), now)
    rt.advance(s, instance, workflow, actor, fired_at, workflow.refresh_timers)
    rt.save(s, instance, workflow, deployed, actor, fired_at)
    return True
