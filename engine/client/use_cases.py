"""Use cases of the client's side: writing to the client, the status page, the client's survey answer."""
from __future__ import annotations

from sqlalchemy import select

from engine import column_checks
from engine.bpmn.runtime import Runtime
from engine.client import conversation, survey, tracking
from engine.client.conversation import Links
from engine.client.survey import Verdict
from engine.client.tracking import ClientStatus
from engine.errors import ComplaintNotFound, InvalidInput
from engine.messages import Message
from engine.people.actor import Actor
from models import ClientMessage, ClientSurvey, Complaint


def write_to_client(rt: Runtime, number: str, subject: str, text: str, actor: Actor) -> ClientMessage:
    """Send the client a message from the card, threaded with the conversation, through the outbox."""
    with rt.transaction() as s:
        complaint = s.scalar(select(Complaint).where(Complaint.number == number))
        if complaint is None:
            raise ComplaintNotFound(Message("No complaint {number}.", number=number))
        return conversation.write(s, complaint, subject, text, actor, rt.clock(), Links.of(rt.settings),
                                  rt.delivery.message_domain)


def track_complaint(rt: Runtime, number: str, contact: str, ip: str | None) -> ClientStatus | None:
    """The client's view of their complaint, or None for a wrong number or contact (the same None)."""
    problems = {name: [m] for name, value in (("number", number), ("contact", contact))
                if (m := column_checks.text_problem(value, typed=True))}
    if problems:  # a look-up with NUL or a lone surrogate is refused by PostgreSQL: say so instead
        raise InvalidInput("The form has errors.", problems)
    with rt.transaction() as s:
        tracking.count_attempt(s, ip, rt.settings.public.track_rate_limit, rt.clock())
        complaint_id = tracking.look_up(s, number, contact)
        return tracking.status(s, complaint_id) if complaint_id is not None else None


def survey_of(rt: Runtime, token: str) -> ClientSurvey:
    """The survey behind a link (raises SurveyNotFound); its `answered_at` tells whether it was used."""
    return survey.find(rt.session, token)


def answer_survey(rt: Runtime, token: str, verdict: Verdict, ip: str | None) -> ClientSurvey:
    with rt.transaction() as s:
        return survey.answer(s, token, verdict, ip, rt.clock())
