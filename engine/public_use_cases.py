"""Use cases of the public channels: the site feedback form and ratings of managers and deliveries."""
from __future__ import annotations

from sqlalchemy import select

from engine import mail, notifications, public
from engine.actor import Actor
from engine.core import EngineCore
from engine.intake import AppealInput
from models import Appeal, Complaint, Consent, IngestedMessage, Review


class PublicUseCases(EngineCore):
    """The part of the front door that strangers on the company site reach, each one transaction."""

    def submit_feedback(self, data: public.FeedbackInput, ip: str | None) -> tuple[Appeal, Complaint | None, str]:
        """Register an appeal from the site form with its consents; a complaint also notifies the CEO and
        QMS. Returns the appeal, its complaint and the answer date promised to the client."""
        rules = self.settings.public
        with self._transaction() as s:
            now = self.clock()
            public.check_rate(s, ip, rules, now)
            appeal, complaint = self._register_in(s, public.feedback_appeal(data, rules), Actor("сайт: форма"), now)
            for kind in ("personal_data", "user_agreement"):
                s.add(Consent(appeal_id=appeal.id, kind=kind, text_version=rules.consent_version, given_at=now, ip=ip))
            due = self.answer_by(appeal.received_at) if complaint else None
            answer_by = due.astimezone(self.tz).strftime("%d.%m.%Y") if due else ""
            if complaint is not None:
                context = {"number": appeal.number, "complaint_number": complaint.number, "text": appeal.text,
                           "author": data.full_name or "—", "contact": f"{data.phone} {data.email}".strip() or "—",
                           "organisation": f"{data.organisation} {data.inn}".strip() or "—"}
                for recipient in rules.site_complaint_recipients:
                    notifications.enqueue(s, "site_complaint", recipient, f"site:{appeal.number}:{recipient}",
                                          context, now, complaint.number)
            return appeal, complaint, answer_by

    def submit_review(self, data: public.ReviewInput, ip: str | None) -> Review:
        """Store a rating; a low one with a comment becomes a complaint appeal for the right department."""
        rules = self.settings.public
        with self._transaction() as s:
            now = self.clock()
            public.check_rate(s, ip, rules, now)
            review, employee = public.review_row(s, data)
            review.created_at = now
            s.add(review)
            s.flush()
            kinds = (["publish_review"] if data.publish else []) + \
                (["personal_data"] if data.consent_personal_data else [])
            for kind in kinds or ["none"]:
                s.add(Consent(review_id=review.id, kind=kind, text_version=rules.consent_version, given_at=now, ip=ip))
            if review.rating <= rules.low_rating and review.comment:
                whom = employee.full_name if employee else "доставка"
                department = employee.departments[0].code if employee and employee.departments else \
                    rules.delivery_department
                contact = data.author_contact or ""
                appeal, complaint = self._register_in(s, AppealInput(
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

    def ingest_mail(self, raw: bytes, mailbox: str, appeal_type: str = "complaint",
                    department: str | None = None) -> Appeal | None:
        """Turn one e-mail into an appeal; a message already ingested (same Message-ID) gives None."""
        parsed = mail.parse(raw)
        with self._transaction() as s:
            now = self.clock()
            if s.scalar(select(IngestedMessage.id).where(IngestedMessage.message_id == parsed.message_id)):
                return None
            received_at = parsed.sent_at if parsed.sent_at and parsed.sent_at <= now else now
            appeal, _complaint = self._register_in(s, AppealInput(
                type=appeal_type, channel="email", subject=(parsed.subject or "(без темы)")[:300],
                text=parsed.body or "(пустое письмо)", received_at=received_at,
                contact_name=parsed.sender_name or parsed.sender_email or None,
                contact_email=parsed.sender_email or None, department=department,
                attachments=parsed.attachments), Actor(f"почта: {mailbox}"), now)
            s.add(IngestedMessage(message_id=parsed.message_id, appeal_id=appeal.id, mailbox=mailbox, ingested_at=now))
            return appeal
