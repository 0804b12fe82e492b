"""The client's own verdict: a one-time survey link sent when stage 1 closes, answered once, kept apart."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.bpmn import projection
from engine.client.conversation import Links, contact_email
from engine.errors import InvalidInput, SurveyAnswered, SurveyNotFound
from engine.messages import Message
from engine.notify import notifications
from engine.people.actor import Actor
from models import ClientSurvey, Complaint, ProcessInstance

CLIENT = Actor("клиент: опрос")


@dataclass(frozen=True)
class Verdict:
    solved: bool | None
    satisfaction: int | None
    comment: str = ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send(s: Session, complaint: Complaint, instance: ProcessInstance, now: dt.datetime, links: Links) -> None:
    """Ask the client once per complaint; without an e-mail on file there is nobody to ask."""
    address = contact_email(complaint)
    if address is None or s.scalar(select(ClientSurvey.id).where(ClientSurvey.complaint_id == complaint.id)):
        return
    token = secrets.token_urlsafe(32)  # only the hash is stored: the link lives in the client's mailbox
    row = notifications.enqueue(s, "client_survey", f"email:{address}", f"survey:{complaint.number}", {
        "number": complaint.number, "survey_url": f"{links.base_url}/survey/{token}"}, now, complaint.number)
    s.add(ClientSurvey(complaint_id=complaint.id, token_hash=token_hash(token), sent_at=now,
                       outbox_id=row.id if row is not None else None))
    projection.record(s, instance, Actor.system(), "client_survey_sent", now, {"to": address})


def find(s: Session, token: str) -> ClientSurvey:
    survey = s.scalar(select(ClientSurvey).where(ClientSurvey.token_hash == token_hash(token)))
    if survey is None:
        raise SurveyNotFound(Message("No such survey link."))
    return survey


def check(verdict: Verdict) -> None:
    problems: dict[str, list[str]] = {}
    if verdict.solved is None:
        problems["solved"] = [Message("Say whether the solution worked.")]
    if verdict.satisfaction is None or not 1 <= verdict.satisfaction <= 5:
        problems["satisfaction"] = [Message("Rate from 1 to 5.")]
    if len(verdict.comment) > 5000:
        problems["comment"] = [Message("At most {limit} characters.", limit=5000)]
    if problems:
        raise InvalidInput("The survey has errors.", problems)


def answer(s: Session, token: str, verdict: Verdict, ip: str | None, now: dt.datetime) -> ClientSurvey:
    """Store the answer; a link already used is refused, even when two answers race."""
    survey = find(s, token)
    if survey.answered_at is not None:
        raise SurveyAnswered(Message("This survey has already been answered."))
    check(verdict)
    # The conditional update is what makes the link single-use under concurrency, not the read above.
    done = s.execute(update(ClientSurvey).where(ClientSurvey.id == survey.id, ClientSurvey.answered_at.is_(None))
                     .values(answered_at=now, solved=verdict.solved, satisfaction=verdict.satisfaction,
                             comment=verdict.comment.strip() or None, ip=ip))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise SurveyAnswered(Message("This survey has already been answered."))
    complaint = s.get(Complaint, survey.complaint_id)
    instance = s.scalar(select(ProcessInstance).where(ProcessInstance.business_key == complaint.number)
                        .order_by(ProcessInstance.id.desc()).limit(1)) if complaint else None
    if instance is not None:
        projection.record(s, instance, CLIENT, "client_survey_answered", now,
                          {"solved": verdict.solved, "satisfaction": verdict.satisfaction})
    s.refresh(survey)
    return survey
