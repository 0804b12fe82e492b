"""Use cases of intake: registering appeals from staff and the API, the site form, ratings and e-mail."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import direct_writes
from engine.bpmn import rows as instance_rows
from engine.bpmn.runtime import Runtime, answer_date
from engine.client import conversation, replies
from engine.client.conversation import Links
from engine.errors import ConcurrentUpdate, InvalidInput
from engine.intake import appeals, as_written, handling, mail, public
from engine.intake.appeals import AppealInput
from engine.intake.inn import normalised_inn
from engine.notify import notifications
from engine.people.actor import Actor
from engine.privacy import consents
from engine.time import deadlines, timers
from models import Appeal, ClientMessage, Complaint, IdempotencyRecord, IngestedMessage, Review

REGISTER_ATTEMPTS = 3
T = TypeVar("T")


def _racing_inserts(rt: Runtime, attempt: Callable[[], T]) -> T:
    """Run a registration again when another one created the same counterparty (or key) at the same moment:
    the next attempt finds that row. Every channel that registers goes through here (API, staff form, site
    form, ratings, e-mail), so concurrent requests from several workers never end in a server error."""
    for remaining in range(REGISTER_ATTEMPTS - 1, -1, -1):
        try:
            return attempt()
        except (IntegrityError, ConcurrentUpdate):
            rt.session.rollback()
            if remaining == 0:
                raise
    raise AssertionError("unreachable")


def register_appeal(rt: Runtime, data: AppealInput, actor: Actor,
                    idempotency: tuple[int, str, str] | None = None) -> tuple[Appeal, Complaint | None]:
    """Register an appeal (and open its complaint). With `idempotency` = (client id, key, request hash)
    a retry of the same request returns the appeal registered the first time."""
    def attempt() -> tuple[Appeal, Complaint | None]:
        if idempotency is not None:
            earlier = appeals.replay(rt.session, *idempotency)
            if earlier is not None:
                return earlier
        return _register(rt, data, actor, idempotency)

    return _racing_inserts(rt, attempt)


def _register(rt: Runtime, data: AppealInput, actor: Actor,
              idempotency: tuple[int, str, str] | None) -> tuple[Appeal, Complaint | None]:
    if bad_files := public.file_problems(data.attachments, rt.settings.public):
        raise InvalidInput("The attachments are refused.", {"attachments": bad_files})
    with rt.transaction() as s:
        now = rt.clock()
        appeal, complaint = register_in(rt, s, data, actor, now)
        if idempotency is not None:
            s.add(IdempotencyRecord(client_id=idempotency[0], key=idempotency[1], request_hash=idempotency[2],
                                    status=201, body={"appeal": appeal.number}, created_at=now))
        direct_writes.write_changed(s)  # the instance and complaint rows, without the flush's unit of work
        s.flush()
        written = as_written.remember(appeal, complaint)
    as_written.restore(written)
    return appeal, complaint


def register_in(rt: Runtime, s: Session, data: AppealInput, actor: Actor,
                 now: dt.datetime) -> tuple[Appeal, Complaint | None]:
    """Register inside the caller's transaction: the appeal, its complaint, deadlines, process, ack."""
    appeal, complaint = appeals.register(s, data, actor, now, rt.tz, rt.settings.qms_department,
                                       rt.settings.attachments_dir)
    if complaint is not None:
        start_complaint(rt, s, appeal, complaint, data.contact_email, actor, now)
    return appeal, complaint


def start_complaint(rt: Runtime, s: Session, appeal: Appeal, complaint: Complaint, contact_email: str | None,
                    actor: Actor, now: dt.datetime) -> None:
    """Plan the complaint's deadlines, start its process and acknowledge it to the client."""
    variables = {
        "complaint_number": complaint.number,
        "department": complaint.department.code if complaint.department else None,
        "received_at": complaint.registered_at.isoformat(),
        "importance": complaint.importance, "kind": complaint.kind,
        "max_reassignments": rt.settings.max_reassignments,
        "max_contact_attempts": rt.settings.max_contact_attempts,
        "max_rounds": rt.settings.max_rounds,
        "warning_fraction": rt.settings.warning_fraction,
    }
    deployed = rt.definitions.latest(s, rt.settings.complaint_process)
    # The complaint's deadlines run on its department's calendar (a branch's zone and holidays).
    with deadlines.department_calendar(variables["department"]):
        planned = deadlines.what_if(deployed, rt.script_engine, complaint.registered_at,
                                    rt.calendars.current(), rt.settings.warning_fraction)
        timers.warn_provisional(s, planned["provisional_years"], rt.settings.qms_department, now)
        instance_rows.remember_complaint(s, complaint.number or "", complaint)
        rt.start_in(s, deployed, complaint.number or "", variables, actor, now,
                    timers.plan_deadlines(complaint, planned))
    if contact_email:
        notifications.enqueue(s, "ack_client", f"email:{contact_email}", f"ack:{appeal.number}", {
            "number": appeal.number, "complaint_number": complaint.number,
            "answer_by": rt.local_date(answer_date(planned), variables["department"]),
            "track_url": Links.of(rt.settings).track(complaint.number or "")}, now, complaint.number)



def submit_feedback(rt: Runtime, data: public.FeedbackInput, ip: str | None) -> tuple[Appeal, Complaint | None, str]:
    """Register an appeal from the site form with its consents; a complaint also notifies the CEO and
    QMS. Returns the appeal, its complaint and the answer date promised to the client."""
    return _racing_inserts(rt, lambda: _submit_feedback(rt, data, ip))


def _submit_feedback(rt: Runtime, data: public.FeedbackInput, ip: str | None) -> tuple[Appeal, Complaint | None,
                                                                                         str]:
    rules = rt.settings.public
    with rt.transaction() as s:
        now = rt.clock()
        public.check_rate(s, ip, rules, now)
        appeal, complaint = register_in(rt, s, public.feedback_appeal(data, rules), Actor("сайт: форма"), now)
        for kind in ("personal_data", "user_agreement"):
            consent = consents.given(kind, rules.consent_version, appeal.channel, now, ip, person=data.full_name,
                                     phone=data.phone, email=data.email, inn=normalised_inn(data.inn))
            consent.appeal_id = appeal.id
            s.add(consent)
        department = complaint.department.code if complaint and complaint.department else None
        due = rt.answer_by(appeal.received_at, department) if complaint else None
        answer_by = due.astimezone(rt.calendars.of_department(department).tz).strftime("%d.%m.%Y") if due else ""
        if complaint is not None:
            context = {"number": appeal.number, "complaint_number": complaint.number, "text": appeal.text,
                       "author": data.full_name or "—", "contact": f"{data.phone} {data.email}".strip() or "—",
                       "organisation": f"{data.organisation} {data.inn}".strip() or "—"}
            for recipient in rules.site_complaint_recipients:
                notifications.enqueue(s, "site_complaint", recipient, f"site:{appeal.number}:{recipient}",
                                      context, now, complaint.number)
        return appeal, complaint, answer_by

def submit_review(rt: Runtime, data: public.ReviewInput, ip: str | None) -> Review:
    """Store a rating; a low one with a comment becomes a complaint appeal for the right department."""
    return _racing_inserts(rt, lambda: _submit_review(rt, data, ip))


def _submit_review(rt: Runtime, data: public.ReviewInput, ip: str | None) -> Review:
    rules = rt.settings.public
    with rt.transaction() as s:
        now = rt.clock()
        public.check_rate(s, ip, rules, now)
        review, employee = public.review_row(s, data)
        review.created_at = now
        s.add(review)
        s.flush()
        kinds = (["publish_review"] if data.publish else []) + \
            (["personal_data"] if data.consent_personal_data else [])
        channel = "rate_manager" if data.kind == "manager" else "delivery_rating"
        by_email = bool(public.EMAIL.match(data.author_contact or ""))
        for kind in kinds or ["none"]:
            consent = consents.given(kind, rules.consent_version, channel, now, ip, person=data.author_name,
                                     email=data.author_contact if by_email else None,
                                     phone=None if by_email else data.author_contact)
            consent.review_id = review.id
            s.add(consent)
        if review.rating <= rules.low_rating and review.comment:
            whom = employee.full_name if employee else "доставка"
            department = employee.departments[0].code if employee and employee.departments else \
                rules.delivery_department
            contact = data.author_contact or ""
            appeal, complaint = register_in(rt, s, AppealInput(
                type="complaint", channel="rate_manager" if employee else "delivery_rating",
                subject=f"Оценка {review.rating} из 5: {whom}", text=review.comment,
                contact_name=data.author_name or None,
                contact_email=contact if public.EMAIL.match(contact) else None,
                contact_phone=None if public.EMAIL.match(contact) else contact or None,
                department=department), Actor("сайт: оценка"), now)
            review.appeal_id = appeal.id
            if employee is None:
                notifications.enqueue(s, "low_rating", "group:commerce", f"rating:{review.id}", {
                    "rating": review.rating, "subject": f"Оценка доставки {review.rating} из 5",
                    "comment": review.comment, "number": complaint.number if complaint else appeal.number},
                    now, complaint.number if complaint else None)
        return review

def ingest_mail(rt: Runtime, raw: bytes, mailbox: str, appeal_type: str = "complaint",
                department: str | None = None) -> Appeal | ClientMessage | None:
    """Turn one e-mail into an appeal, or, when it answers a complaint, into a client message of that
    complaint; a message already ingested (same Message-ID) gives None."""
    rules = rt.settings.public
    parsed = mail.screened(mail.parse(raw), rules.allowed_file_types, rules.max_file_bytes)
    return _racing_inserts(rt, lambda: _ingest(rt, parsed, mailbox, appeal_type, department))


def _ingest(rt: Runtime, parsed: mail.Mail, mailbox: str, appeal_type: str,
            department: str | None) -> Appeal | ClientMessage | None:
    with rt.transaction() as s:
        now = rt.clock()
        if s.scalar(select(IngestedMessage.id).where(IngestedMessage.message_id == parsed.message_id)):
            return None
        answered = replies.complaint_answered(s, parsed)
        if answered is not None:
            message = conversation.receive(s, answered, parsed, Actor(f"почта: {mailbox}"), now,
                                           Links.of(rt.settings), rt.settings.attachments_dir)
            s.add(IngestedMessage(message_id=parsed.message_id, client_message_id=message.id, mailbox=mailbox,
                                  ingested_at=now))
            return message
        received_at = parsed.sent_at if parsed.sent_at and parsed.sent_at <= now else now
        appeal, _complaint = register_in(rt, s, AppealInput(
            type=appeal_type, channel="email", subject=(parsed.subject or "(без темы)")[:300],
            text=parsed.body or "(пустое письмо)", received_at=received_at,
            contact_name=parsed.sender_name or parsed.sender_email or None,
            contact_email=parsed.sender_email or None, department=department,
            attachments=parsed.attachments), Actor(f"почта: {mailbox}"), now)
        s.add(IngestedMessage(message_id=parsed.message_id, appeal_id=appeal.id, mailbox=mailbox, ingested_at=now))
        return appeal


def resolve_appeal(rt: Runtime, number: str, resolution: str, actor: Actor) -> Appeal:
    """Mark an appeal that is not a complaint processed, with its resolution."""
    with rt.transaction() as s:
        appeal = _handled(s, number, actor)
        handling.resolve(appeal, resolution, actor, rt.clock())
        return appeal


def set_appeal_reminder(rt: Runtime, number: str, remind_at: dt.datetime, actor: Actor) -> Appeal:
    with rt.transaction() as s:
        appeal = _handled(s, number, actor)
        handling.set_reminder(appeal, remind_at, rt.clock())
        return appeal


def turn_into_complaint(rt: Runtime, number: str, actor: Actor) -> Complaint:
    """The appeal proves to be a complaint: open one on it (its basis) and start the complaint process the
    way registration does. Its deadlines count from now, when it is registered as a complaint."""
    with rt.transaction() as s:
        now = rt.clock()
        appeal = _handled(s, number, actor)
        complaint = appeals.open_complaint(s, appeal, now, rt.tz)
        handling.mark_processed(appeal, actor, now)
        start_complaint(rt, s, appeal, complaint, appeal.contact.email if appeal.contact else None, actor, now)
        return complaint


def _handled(s: Session, number: str, actor: Actor) -> Appeal:
    appeal = handling.locked(s, number)
    handling.check_may_handle(s, appeal, actor)
    handling.check_unprocessed(s, appeal)
    return appeal


def send_appeal_reminders(rt: Runtime, now: dt.datetime | None = None) -> list[str]:
    """The scheduler's job: reminders that fell due go to their responsibles through the outbox, once."""
    with rt.transaction() as s:
        return handling.send_due_reminders(s, now or rt.clock(), rt.settings.qms_department,
                                           rt.settings.public.base_url.rstrip("/"), rt.tz)
