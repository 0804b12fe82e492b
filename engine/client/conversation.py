"""The e-mail conversation with the client: their replies attached to the complaint, our answers through the outbox."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import projection
from engine.errors import InvalidInput, NotAllowed
from engine.intake.appeals import store_files
from engine.intake.mail import Mail
from engine.messages import Message
from engine.notify import notifications
from engine.people.actor import Actor
from engine.settings import EngineSettings
from models import ClientMessage, Complaint, Outbox, ProcessInstance, User

MAX_TEXT = 20000
THREAD_DEPTH = 20  # References kept short: mail programs need the root and the last few, not every message


@dataclass(frozen=True)
class Links:
    """Where people reach the desk from an e-mail: the public status page and the staff card."""

    base_url: str
    qms_group: str

    @classmethod
    def of(cls, settings: EngineSettings) -> Links:
        return cls(settings.public.base_url.rstrip("/"), settings.qms_department)

    def track(self, number: str) -> str:
        return f"{self.base_url}/track?number={number}"

    def card(self, number: str) -> str:
        return f"{self.base_url}/complaints/{number}"


def _instance(s: Session, complaint: Complaint) -> ProcessInstance | None:
    return s.scalar(select(ProcessInstance).where(ProcessInstance.business_key == complaint.number)
                    .order_by(ProcessInstance.id.desc()).limit(1))


def contact_email(complaint: Complaint) -> str | None:
    email = complaint.contact.email if complaint.contact else None
    return email.strip().lower() if email else None


def _who_hears(complaint: Complaint, links: Links) -> str:
    """The responsible while stage 1 runs; QMS once it is closed (stage 2 is theirs) or nobody is assigned."""
    if complaint.stage1_status != "closed" and complaint.responsible_user is not None:
        return f"user:{complaint.responsible_user.login}"
    return f"group:{links.qms_group}"


def receive(s: Session, complaint: Complaint, mail: Mail, actor: Actor, now: dt.datetime, links: Links,
            attachments_dir: Path) -> ClientMessage:
    """Attach a client's e-mail to the complaint, note it in the history and tell whoever works on it."""
    from_contact = mail.sender_email != "" and mail.sender_email == contact_email(complaint)
    message = ClientMessage(
        complaint_id=complaint.id, direction="in", at=now, sender_name=mail.sender_name or None,
        sender_email=mail.sender_email or None, from_contact=from_contact,
        subject=(mail.subject or "(без темы)")[:300], body=mail.body or "(пустое письмо)",
        message_id=mail.message_id, in_reply_to=mail.references[-1] if mail.references else None,
        author=actor.name)
    s.add(message)
    s.flush()
    for row in store_files(s, complaint.appeal_id, mail.attachments, attachments_dir, actor, now):
        row.client_message_id = message.id
    instance = _instance(s, complaint)
    if instance is not None:
        projection.record(s, instance, actor, "client_message_received", now, {
            "from": mail.sender_email, "subject": message.subject, "from_contact": from_contact,
            "attachments": [f.filename for f in mail.attachments]})
    notifications.enqueue(s, "client_message", _who_hears(complaint, links), f"client-message:{message.id}", {
        "number": complaint.number, "sender": f"{mail.sender_name} <{mail.sender_email}>".strip(),
        "from_contact": from_contact, "subject": message.subject, "text": message.body,
        "card_url": links.card(complaint.number or "")}, now, complaint.number)
    return message


def check_may_write(s: Session, complaint: Complaint, actor: Actor) -> None:
    """QMS writes on any complaint; others on their own or their department's. API clients acting for
    nobody are trusted integrations limited by their scopes."""
    if actor.user_id is None:
        return
    user = s.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotAllowed(Message("Unknown or inactive user."))
    if user.has_role("qms") or complaint.responsible_user_id == user.id:
        return
    if complaint.department is None or complaint.department.code not in {d.code for d in user.departments}:
        raise NotAllowed(Message("Complaint {number} belongs to another department.", number=complaint.number))


def _thread(s: Session, complaint: Complaint) -> list[str]:
    """Message-IDs of the exchange, oldest first: the acknowledgement as the root, then every message."""
    root = s.scalar(select(Outbox.message_id).where(Outbox.business_key == complaint.number,
                                                    Outbox.kind == "ack_client", Outbox.message_id.is_not(None)))
    ids = ([root] if root else []) + [m for m in s.scalars(select(ClientMessage.message_id).where(
        ClientMessage.complaint_id == complaint.id, ClientMessage.message_id.is_not(None))
        .order_by(ClientMessage.at, ClientMessage.id)) if m]
    return ids[:1] + ids[1:][-(THREAD_DEPTH - 1):]


def _subject(s: Session, complaint: Complaint, subject: str) -> str:
    if subject.strip():
        return subject.strip()
    last = s.scalar(select(ClientMessage.subject).where(ClientMessage.complaint_id == complaint.id,
                                                        ClientMessage.direction == "in")
                    .order_by(ClientMessage.at.desc(), ClientMessage.id.desc()).limit(1))
    if last:
        return last if last.lower().startswith("re:") else f"Re: {last}"
    return f"Ответ по претензии {complaint.number}"


def write(s: Session, complaint: Complaint, subject: str, text: str, actor: Actor, now: dt.datetime,
          links: Links, message_domain: str) -> ClientMessage:
    """Our message to the client, sent through the outbox in the same thread as the conversation."""
    problems: dict[str, list[str]] = {}
    address = contact_email(complaint)
    if address is None:
        problems["contact"] = [Message("The complaint has no client e-mail to write to.")]
    if not text.strip():
        problems["text"] = [Message("Write the message.")]
    elif len(text) > MAX_TEXT:
        problems["text"] = [Message("At most {limit} characters.", limit=MAX_TEXT)]
    if len(subject) > 250:
        problems["subject"] = [Message("At most {limit} characters.", limit=250)]
    if problems:
        raise InvalidInput("The message has errors.", problems)
    check_may_write(s, complaint, actor)
    thread, subject = _thread(s, complaint), _subject(s, complaint, subject)
    row = notifications.enqueue(s, "client_reply", f"email:{address}", f"client-reply:{uuid.uuid4()}", {
        "subject": subject, "text": text.strip(), "number": complaint.number,
        "track_url": links.track(complaint.number or "")}, now, complaint.number)
    assert row is not None  # a fresh dedupe key always adds a row
    row.message_id, row.thread_references = notifications.new_message_id(message_domain), " ".join(thread) or None
    s.flush()
    message = ClientMessage(complaint_id=complaint.id, direction="out", at=now, sender_email=None,
                            subject=row.subject, body=text.strip(), message_id=row.message_id,
                            in_reply_to=thread[-1] if thread else None, outbox_id=row.id, author=actor.name,
                            author_user_id=actor.user_id)
    s.add(message)
    instance = _instance(s, complaint)
    if instance is not None:
        projection.record(s, instance, actor, "client_message_sent", now, {"to": address, "subject": row.subject})
    return message
