"""Removing personal data from the records while keeping the rows, their codes, dates and figures.

What is personal: the contact person (name, position, phone, e-mail), an individual's counterparty (12-digit
INN: a person or a sole trader; an organisation's name and 10-digit INN are not personal data and stay for
the repeat-client figures), the free text the client wrote or that was written about them, the files, the
conversation, the survey comment, the letters sent to them, the identity on their consents, the task data of
the process and the history event data. Every function returns what it changed as {table: [fields]}.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.persistence import scrub_task_data
from models import (
    Appeal,
    Attachment,
    ClientMessage,
    ClientSurvey,
    Complaint,
    Consent,
    Contact,
    Counterparty,
    Outbox,
    ProcessInstance,
    Review,
)

ERASED = "[удалено]"
# Task-data variables that are codes, dates or numbers the process and the reports use, never personal.
KEPT_VARIABLES = frozenset({
    "complaint_number", "department", "received_at", "importance", "kind", "justification", "compensation",
    "stage1_status", "stage2_status", "loyal", "satisfied", "max_reassignments", "max_contact_attempts",
    "max_rounds", "warning_fraction",
})
# Outbox recipients that are the client (staff are user:, head:, group: addresses).
CLIENT_RECIPIENTS = ("email:",)


@dataclass
class Changes:
    """What was removed from one case: fields per table, rows deleted, files deleted from disk."""

    fields: dict[str, set[str]] = field(default_factory=dict)
    rows_deleted: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    instances: list[int] = field(default_factory=list)

    def blank(self, table: str, row: Any, values: dict[str, Any]) -> None:
        """Set each field that holds something to its replacement, noting the field."""
        for name, replacement in values.items():
            if getattr(row, name) not in (None, "", replacement):
                setattr(row, name, replacement)
                self.fields.setdefault(table, set()).add(name)

    def deleted(self, table: str, count: int) -> None:
        if count:
            self.rows_deleted[table] = self.rows_deleted.get(table, 0) + count

    def as_report(self) -> dict[str, Any]:
        return {"fields": {t: sorted(f) for t, f in sorted(self.fields.items())},
                "rows_deleted": dict(sorted(self.rows_deleted.items())), "files_removed": len(self.files)}


def is_personal_inn(inn: str | None) -> bool:
    return bool(inn) and len(inn or "") == 12


def scrub_case(s: Session, appeal: Appeal, folder: Path, now: dt.datetime,
               together: frozenset[int] = frozenset()) -> Changes:
    """Anonymise one case: the appeal, its complaint and everything that hangs on them. `together` names the
    appeals anonymised in the same go (their shared contact is no reason to keep it). The process instances
    to shred are listed in `Changes.instances`; the files are deleted by the caller after commit."""
    changes = Changes()
    complaint = s.scalar(select(Complaint).where(Complaint.appeal_id == appeal.id))
    changes.blank("appeal", appeal, {"subject": ERASED, "text": ERASED, "previous_appeals_text": None,
                                     "work_done": None})
    _person(s, appeal, complaint, changes, together | {appeal.id})
    for row in s.scalars(select(Attachment).where(Attachment.appeal_id == appeal.id)):
        changes.files.append(folder / row.stored_name)
        s.delete(row)
        changes.deleted("attachment", 1)
    for review in s.scalars(select(Review).where(Review.appeal_id == appeal.id)):
        scrub_review(review, changes, now)
    scrub_consents(s.scalars(select(Consent).where(Consent.appeal_id == appeal.id)), changes, now)
    if complaint is not None and complaint.number:
        changes.blank("complaint", complaint, {"correction": ERASED})
        scrub_messages(s.scalars(select(ClientMessage).where(ClientMessage.complaint_id == complaint.id)),
                       changes, now)
        survey = s.scalar(select(ClientSurvey).where(ClientSurvey.complaint_id == complaint.id))
        if survey is not None:  # the verdict (solved, satisfaction) is a figure and stays
            changes.blank("client_survey", survey, {"comment": None, "ip": None})
        scrub_outbox(s.scalars(select(Outbox).where(Outbox.business_key == complaint.number)), changes, now)
        for instance in s.scalars(select(ProcessInstance).where(ProcessInstance.business_key == complaint.number)):
            instance.state = scrub_task_data(instance.state, KEPT_VARIABLES, ERASED)
            changes.fields.setdefault("process_instance", set()).add("state (task data)")
            changes.instances.append(instance.id)
    appeal.anonymised_at = now
    return changes


def _person(s: Session, appeal: Appeal, complaint: Complaint | None, changes: Changes,
            together: frozenset[int]) -> None:
    """The contact and an individual's counterparty: anonymised in place, unless a case that is not being
    anonymised still uses them — then this case only lets go of them."""
    if appeal.contact_id is not None:
        contact = s.get(Contact, appeal.contact_id)
        if contact is not None and _shared(s, Appeal.contact_id, contact.id, together):
            appeal.contact_id = None
            if complaint is not None:
                complaint.contact_id = None
            changes.fields.setdefault("appeal", set()).add("contact_id")
        elif contact is not None:
            changes.blank("contact", contact, {"full_name": ERASED, "position": None, "phone": None, "email": None})
    counterparty = s.get(Counterparty, appeal.counterparty_id) if appeal.counterparty_id else None
    # The row (and its id) stays, so the repeat-client figures still count this client's complaints.
    if counterparty is not None and is_personal_inn(counterparty.inn) and \
            not _shared(s, Appeal.counterparty_id, counterparty.id, together):
        changes.blank("counterparty", counterparty, {"name": f"{ERASED} #{counterparty.id}", "inn": None})


def _shared(s: Session, column: Any, row_id: int, together: frozenset[int]) -> bool:
    return s.scalar(select(Appeal.id).where(column == row_id, Appeal.id.not_in(together),
                                            Appeal.anonymised_at.is_(None)).limit(1)) is not None


def scrub_review(review: Review, changes: Changes, now: dt.datetime) -> None:
    changes.blank("review", review, {"author_name": None, "author_contact": None, "comment": ERASED})
    review.anonymised_at = now


def scrub_consents(rows: Iterable[Consent], changes: Changes, now: dt.datetime) -> None:
    """The record of the consent stays (kind, version, purpose, channel, when); whose it was goes."""
    for consent in rows:
        changes.blank("consent", consent, {"person": None, "phone": None, "email": None, "inn": None, "ip": None})
        consent.erased_at = consent.erased_at or now


def scrub_messages(rows: Iterable[ClientMessage], changes: Changes, now: dt.datetime) -> None:
    for message in rows:
        changes.blank("client_message", message, {
            "sender_name": None, "sender_email": None, "subject": ERASED, "body": ERASED, "message_id": None,
            "in_reply_to": None})
        message.anonymised_at = now


def scrub_outbox(rows: Iterable[Outbox], changes: Changes, now: dt.datetime) -> None:
    """Sent copies lose their text and the client's address; one not yet sent is cancelled, not sent blank."""
    for row in rows:
        values: dict[str, Any] = {"subject": ERASED, "body": ERASED, "attachment_name": None, "attachment": None,
                                  "thread_references": None}
        if row.recipient.startswith(CLIENT_RECIPIENTS):
            values["recipient"] = f"{row.recipient.partition(':')[0]}:{ERASED}"
        if row.status == "pending":
            values["status"] = "cancelled"
        changes.blank("outbox", row, values)
        row.anonymised_at = now


def remove_files(paths: Iterable[Path]) -> int:
    """After the rows are gone (committed): delete their files; a file already missing counts as removed."""
    count = 0
    for path in paths:
        path.unlink(missing_ok=True)
        count += 1
    return count
