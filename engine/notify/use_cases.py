"""Use cases of notifications: delivering the outbox and editing the templates QMS owns."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.bpmn.runtime import Runtime
from engine.errors import ConcurrentUpdate
from engine.notify import notifications, previews
from engine.notify.transports import DeliveryError
from engine.people.actor import Actor
from models import AuditLog, Outbox

SETTLE_TRIES = 3


def deliver_outbox(rt: Runtime, now: dt.datetime | None = None) -> dict[str, int]:
    """Send what is due in the outbox; returns how many were sent, retried and failed."""
    now = now or rt.clock()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if rt.delivery.smtp is None and rt.delivery.telegram is None:
        return counts  # nothing to send with: rows wait in the outbox until a transport is configured
    with rt.transaction() as s:
        batch = [(row.id, row.attempts) for row in notifications.claim_batch(s, now)]
    for row_id, token in batch:
        # Committed before the transport is called: only a send cut off after this point is "outcome unknown".
        with rt.transaction() as s:
            ours = notifications.start_sending(s, row_id, token, rt.clock(), rt.delivery.message_domain)
        if not ours:
            continue
        with rt.transaction() as s:
            error = None
            try:
                notifications.send(s, s.get(Outbox, row_id), rt.delivery)
            except DeliveryError as err:
                error = err
        status = _settle(rt, row_id, error)
        counts["sent" if status == "sent" else "retry" if status == "pending" else "failed"] += 1
    return counts


def _settle(rt: Runtime, row_id: int, error: DeliveryError | None) -> str:
    """Record how a send ended. The transport has been called by now, so a commit the database refuses (SQLite
    busy past its timeout, a deadlock on PostgreSQL) is tried again: the send itself must not be."""
    for remaining in range(SETTLE_TRIES - 1, -1, -1):
        try:
            with rt.transaction() as s:
                row = s.get(Outbox, row_id)
                notifications.settle(row, error, rt.clock())
                return row.status
        except ConcurrentUpdate:
            if remaining == 0:
                raise
    raise AssertionError("unreachable")


def set_template(rt: Runtime, kind: str, subject: str, body: str, actor: Actor) -> None:
    """Save QMS's template of a notification; audited with the text before and after."""
    with rt.transaction() as s:
        now = rt.clock()
        before = notifications.template(s, kind) if kind in notifications.DEFAULTS else None
        notifications.set_template(s, kind, subject, body, actor.name, now)
        s.add(AuditLog(at=now, actor=actor.name, action="template_set", data={
            "kind": kind, "before": dict(zip(("subject", "body"), before, strict=True)) if before else None,
            "after": {"subject": subject, "body": body}}))


def preview_template(kind: str, subject: str, body: str) -> dict[str, Any]:
    return previews.preview(kind, subject, body)
