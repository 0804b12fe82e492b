"""Use cases of notifications: delivering the outbox and editing the templates QMS owns."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.bpmn.runtime import Runtime
from engine.notify import notifications, previews
from engine.notify.transports import DeliveryError
from engine.people.actor import Actor
from models import AuditLog, Outbox


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
            ours = notifications.start_sending(s, row_id, token, rt.clock())
        if not ours:
            continue
        with rt.transaction() as s:
            row = s.get(Outbox, row_id)
            error = None
            try:
                notifications.send(s, row, rt.delivery)
            except DeliveryError as err:
                error = err
            notifications.settle(row, error, rt.clock())
            counts["sent" if row.status == "sent" else "retry" if row.status == "pending" else "failed"] += 1
    return counts


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
