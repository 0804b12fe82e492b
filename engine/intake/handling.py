"""Handling an appeal that is not a complaint on its card: a resolution, a reminder, or a complaint after all."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import column_checks
from engine.errors import AppealNotFound, AppealProcessed, InvalidInput, NotAllowed
from engine.messages import Message
from engine.notify import notifications
from engine.people.actor import Actor
from models import Appeal, Complaint, User

PROCESSED = "processed"


def locked(s: Session, number: str) -> Appeal:
    """The appeal, its row locked (FOR UPDATE on PostgreSQL) and read fresh, so two handlers meet in turn."""
    stmt = select(Appeal).where(Appeal.number == number).with_for_update()
    appeal = s.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if appeal is None:
        raise AppealNotFound(Message("No appeal {number}.", number=number))
    return appeal


def check_may_handle(s: Session, appeal: Appeal, actor: Actor) -> None:
    """QMS handles any appeal, a person of the appeal's department its own; integrations by their scope."""
    if actor.user_id is None:
        return
    user = s.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotAllowed(Message("Unknown or inactive user."))
    if user.has_role("qms") or (appeal.department and appeal.department in user.departments):
        return
    raise NotAllowed(Message("Appeal {number} belongs to department {department}.", number=appeal.number,
                             department=appeal.department.code if appeal.department else "—"))


def check_unprocessed(s: Session, appeal: Appeal) -> None:
    if appeal.state == PROCESSED or s.scalar(select(Complaint.id).where(Complaint.appeal_id == appeal.id)):
        raise AppealProcessed(Message("Appeal {number} is already processed.", number=appeal.number))


def resolve(appeal: Appeal, resolution: str, actor: Actor, now: dt.datetime) -> None:
    """«Не обработан» → «обработан» with what was done about it."""
    problems = column_checks.input_problems({"resolution": (resolution, Appeal.resolution)})
    if not resolution.strip():
        problems.setdefault("resolution", []).append("Must not be empty.")
    if problems:
        raise InvalidInput("The resolution has errors.", problems)
    appeal.resolution = resolution.strip()
    mark_processed(appeal, actor, now)


def mark_processed(appeal: Appeal, actor: Actor, now: dt.datetime) -> None:
    appeal.state = PROCESSED
    appeal.closed_at = now
    appeal.processed_by = actor.name


def set_reminder(appeal: Appeal, remind_at: dt.datetime, now: dt.datetime) -> None:
    """A reminder to the appeal's responsible at `remind_at`; a new date replaces the one not yet sent."""
    problems = column_checks.input_problems({"remind_at": (remind_at, Appeal.remind_at)})
    if remind_at.tzinfo is None:
        problems.setdefault("remind_at", []).append(
            "Give the time with its UTC offset, e.g. 2026-11-30T10:00:00+03:00.")
    elif remind_at <= now:
        problems.setdefault("remind_at", []).append("The reminder must be in the future.")
    if problems:
        raise InvalidInput("The reminder has errors.", problems)
    appeal.remind_at = remind_at
    appeal.reminder_sent_at = None


def recipient(appeal: Appeal, qms_department: str) -> str:
    """The appeal's responsible; without one, QMS, who owns every appeal nobody else does."""
    return f"responsible:{appeal.responsible_id}" if appeal.responsible_id else f"group:{qms_department}"


def send_due_reminders(s: Session, now: dt.datetime, qms_department: str, base_url: str,
                       tz: ZoneInfo) -> list[str]:
    """Put the reminders that fell due into the outbox, each once: the row is claimed by a conditional
    update (a second scheduler's update finds it already claimed and changes nothing), and the outbox's
    dedupe key is the net under that."""
    due = s.scalars(select(Appeal).where(Appeal.remind_at <= now, Appeal.reminder_sent_at.is_(None),
                                         Appeal.state != PROCESSED).order_by(Appeal.remind_at).limit(200)).all()
    sent = []
    for appeal in due:
        claimed = s.execute(update(Appeal).where(Appeal.id == appeal.id, Appeal.reminder_sent_at.is_(None))
                            .values(reminder_sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        remind_at = appeal.remind_at
        assert remind_at is not None and appeal.number
        notifications.enqueue(s, "appeal_reminder", recipient(appeal, qms_department),
                              f"reminder:{appeal.number}:{remind_at.isoformat()}", {
                                  "number": appeal.number, "subject": appeal.subject, "type": appeal.type,
                                  "counterparty": appeal.counterparty.name if appeal.counterparty else "—",
                                  "received_at": appeal.received_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
                                  "card_url": f"{base_url}/appeals/{appeal.number}"}, now, appeal.number)
        sent.append(appeal.number)
    return sent
