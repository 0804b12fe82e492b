"""Registering an appeal: counterparty and contact, the appeal record, and for a complaint its case."""
from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session, joinedload

from engine import column_checks
from engine.errors import ConcurrentUpdate, InvalidInput
from engine.intake import written_files
from engine.intake.file_types import content_type
from engine.intake.inn import inn_problem, normalised_inn
from engine.messages import Message
from engine.people.actor import Actor
from models import (
    APPEAL_TYPES,
    CHANNELS,
    COMPLAINT_KINDS,
    IMPORTANCE,
    Appeal,
    Attachment,
    Complaint,
    Contact,
    Counterparty,
    Department,
    IdempotencyRecord,
    Responsible,
)

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class NewFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class AppealInput:
    """What a channel or an operator says about an incoming appeal."""

    type: str
    channel: str
    subject: str
    text: str
    received_at: dt.datetime | None = None
    counterparty_name: str | None = None
    inn: str | None = None
    contact_name: str | None = None
    contact_position: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    department: str | None = None
    importance: str = "normal"
    kind: str = "external"
    situation_date: dt.date | None = None
    software: str | None = None
    work_done: str | None = None
    previous_appeals_text: str | None = None
    project: str | None = None
    attachments: tuple[NewFile, ...] = ()

    def __post_init__(self) -> None:
        if self.inn:
            object.__setattr__(self, "inn", normalised_inn(self.inn))


def check(data: AppealInput, now: dt.datetime) -> dict[str, list[str]]:
    """Field problems of an appeal that the schema alone cannot see."""
    problems: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    problems.update(column_checks.input_problems({
        "subject": (data.subject, Appeal.subject), "text": (data.text, Appeal.text),
        "counterparty_name": (data.counterparty_name, Counterparty.name),
        "contact_name": (data.contact_name, Contact.full_name), "contact_position": (data.contact_position,
                                                                                    Contact.position),
        "contact_phone": (data.contact_phone, Contact.phone), "contact_email": (data.contact_email, Contact.email),
        "software": (data.software, Appeal.software), "work_done": (data.work_done, Appeal.work_done),
        "previous_appeals_text": (data.previous_appeals_text, Appeal.previous_appeals_text),
        "project": (data.project, Appeal.project), "situation_date": (data.situation_date, Appeal.situation_date),
        "received_at": (data.received_at, Appeal.received_at)}))
    if data.type not in APPEAL_TYPES:
        bad("type", Message("Must be one of: {choices}.", choices=", ".join(APPEAL_TYPES)))
    if data.channel not in CHANNELS:
        bad("channel", Message("Must be one of: {choices}.", choices=", ".join(CHANNELS)))
    if data.importance not in IMPORTANCE:
        bad("importance", Message("Must be one of: {choices}.", choices=", ".join(IMPORTANCE)))
    if data.kind not in COMPLAINT_KINDS:
        bad("kind", Message("Must be one of: {choices}.", choices=", ".join(COMPLAINT_KINDS)))
    if data.inn and (problem := inn_problem(data.inn)):
        bad("counterparty.inn", problem)
    if data.received_at is not None:
        if data.received_at.tzinfo is None:
            bad("received_at", Message("Give the time with its UTC offset, e.g. 2026-11-24T10:00:00+03:00."))
        elif data.received_at > now + CLOCK_SKEW:
            bad("received_at", Message("An appeal cannot be received in the future."))
    if not data.subject.strip():
        bad("subject", Message("Must not be empty."))
    if not data.text.strip():
        bad("text", Message("Must not be empty."))
    return problems


def _department(session: Session, code: str) -> Department | None:
    """The department with its responsibles, in one statement (routing needs both)."""
    return session.scalars(select(Department).options(joinedload(Department.responsibles))
                           .where(Department.code == code)).unique().first()


def _known_client(session: Session, data: AppealInput) -> tuple[Counterparty | None, Contact | None]:
    """The counterparty the appeal names and, when a contact name is given, its contact of that name: one
    statement (an outer join) instead of one per row."""
    if data.inn:
        whose = Counterparty.inn == data.inn
    elif data.counterparty_name:
        whose = and_(Counterparty.name == data.counterparty_name, Counterparty.inn.is_(None))
    else:
        return None, None
    if not data.contact_name:
        return session.scalar(select(Counterparty).where(whose).limit(1)), None
    row = session.execute(select(Counterparty, Contact).outerjoin(Contact, and_(
        Contact.counterparty_id == Counterparty.id, Contact.full_name == data.contact_name)).where(whose)
        .limit(1)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def _counterparty(session: Session, data: AppealInput, found: Counterparty | None) -> Counterparty | None:
    if found is None and (data.inn or data.counterparty_name):
        found = Counterparty(name=data.counterparty_name or data.inn or "", inn=data.inn or None)
        session.add(found)
        session.flush()  # the contact row refers to it by id
    elif found is not None and data.counterparty_name and not found.name:
        found.name = data.counterparty_name
    return found


def _contact(session: Session, data: AppealInput, counterparty: Counterparty | None,
             contact: Contact | None) -> Contact | None:
    """The contact person; a phone or an e-mail without a name is still a contact (never dropped)."""
    if not (data.contact_name or data.contact_phone or data.contact_email):
        return None
    if contact is None:
        contact = Contact(full_name=data.contact_name or "")
        session.add(contact)
    contact.counterparty_id = counterparty.id if counterparty is not None else None
    contact.position = data.contact_position or contact.position
    contact.phone = data.contact_phone or contact.phone
    contact.email = data.contact_email or contact.email
    return contact


def responsible_of(department: Department | None) -> Responsible | None:
    if department is None:
        return None
    return next((r for r in department.responsibles if r.active), None)


def number(prefix: str, received_at: dt.datetime, row_id: int, tz: ZoneInfo) -> str:
    return f"{prefix}{received_at.astimezone(tz):%y%m%d}{row_id:04d}"


def reserve_ids(session: Session, *tables: str) -> list[int]:
    """The ids the next rows of `tables` get, in one statement, so that a row is INSERTed with its number
    (which contains its id) instead of INSERTed and then UPDATEd. PostgreSQL: the tables' sequences, as a
    plain INSERT would draw them (a rolled-back registration leaves the same gap). SQLite: the next rowid,
    as SQLite itself would pick it, read under the write lock (see `_hold_write_lock`)."""
    if session.get_bind().dialect.name == "postgresql":
        parts = [f"nextval(pg_get_serial_sequence('{t}', 'id'))" for t in tables]
    else:
        _hold_write_lock(session)
        parts = [f"(SELECT coalesce(max(id), 0) + 1 FROM {t})" for t in tables]
    return list(session.execute(text("SELECT " + ", ".join(parts))).one())


def _hold_write_lock(session: Session) -> None:
    """SQLite: begin the transaction with the write lock (BEGIN IMMEDIATE) unless it already writes, so no
    other writer can take the ids read next: a second registration waits for this one to commit. pysqlite
    would send a plain BEGIN before the first INSERT anyway; this sends it earlier, on the driver's
    connection, and pysqlite, seeing its transaction open, sends none of its own."""
    driver = session.connection().connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:  # another writer kept the lock past busy_timeout: run again
            raise ConcurrentUpdate(Message("Someone else changed this process at the same moment; reload.")) from err


def store_files(session: Session, appeal_id: int, files: tuple[NewFile, ...], folder: Path, actor: Actor,
                now: dt.datetime) -> list[Attachment]:
    """Write the bytes under random names; the rows go into the caller's transaction, and a rollback of
    that transaction removes the files again (see `written_files`), so no file outlives its row."""
    unproven = [f.filename for f in files if content_type(f.filename, f.data) is None]
    if unproven:  # every channel checks its files first; this is the net for one that forgot
        raise InvalidInput("The attachments are refused.", {"attachments": [
            f"{name}: the content is not what the file name says." for name in unproven]})
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for f in files:
        stored = secrets.token_hex(16)
        written_files.remember(session, folder / stored)
        (folder / stored).write_bytes(f.data)
        row = Attachment(appeal_id=appeal_id, filename=Path(f.filename).name[:255] or "file",
                         content_type=content_type(f.filename, f.data) or "application/octet-stream",
                         size=len(f.data), stored_name=stored, uploaded_by=actor.name, uploaded_at=now)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def register(session: Session, data: AppealInput, actor: Actor, now: dt.datetime,
             tz: ZoneInfo, qms_department: str, attachments_dir: Path) -> tuple[Appeal, Complaint | None]:
    """Write the appeal (and its complaint) and flush; the caller starts the process and commits."""
    department = _department(session, data.department or qms_department)
    problems = check(data, now)
    if data.department and department is None:
        problems.setdefault("department", []).append(Message("Unknown department: {code}.", code=data.department))
    if problems:
        raise InvalidInput("The appeal has errors.", problems)
    received_at = data.received_at or now
    known_counterparty, known_contact = _known_client(session, data)
    counterparty = _counterparty(session, data, known_counterparty)
    contact = _contact(session, data, counterparty, known_contact)
    responsible = responsible_of(department)
    is_complaint = data.type == "complaint"
    ids = reserve_ids(session, "appeal", "complaint") if is_complaint else reserve_ids(session, "appeal")
    appeal = Appeal(
        id=ids[0], number=number("RP", received_at, ids[0], tz), state="processed" if is_complaint else "unprocessed",
        received_at=received_at, type=data.type, channel=data.channel, importance=data.importance,
        kind=data.kind, subject=data.subject.strip(), text=data.text.strip(),
        previous_appeals_text=data.previous_appeals_text, situation_date=data.situation_date,
        software=data.software, work_done=data.work_done, project=data.project,
        counterparty=counterparty, contact=contact, department=department, responsible=responsible,
        author=actor.name, author_user_id=actor.user_id,
    )
    session.add(appeal)
    if data.attachments:
        session.flush()  # the attachment rows refer to it by id
        store_files(session, appeal.id, data.attachments, attachments_dir, actor, now)
    complaint = open_complaint(session, appeal, received_at, tz, ids[1]) if is_complaint else None
    session.flush()  # the caller's rows (ingested mail, consents, reviews) refer to it by id
    return appeal, complaint


def open_complaint(session: Session, appeal: Appeal, registered_at: dt.datetime, tz: ZoneInfo,
                   reserved_id: int | None = None) -> Complaint:
    """The complaint whose basis is `appeal`, with the appeal's client, department and responsible."""
    responsible = appeal.responsible
    complaint_id = reserved_id if reserved_id is not None else reserve_ids(session, "complaint")[0]
    complaint = Complaint(
        id=complaint_id, number=number("P", registered_at, complaint_id, tz), appeal=appeal,
        registered_at=registered_at, counterparty=appeal.counterparty, contact=appeal.contact,
        department=appeal.department, responsible=responsible,
        responsible_user_id=responsible.user_id if responsible else None,
        importance=appeal.importance, kind=appeal.kind,
    )
    session.add(complaint)
    session.flush()
    return complaint


def replay(session: Session, client_id: int, key: str, request_hash: str) -> tuple[Appeal, Complaint | None] | None:
    """The appeal a request with this Idempotency-Key registered before, if any."""
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.client_id == client_id,
                                                            IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise InvalidInput("This Idempotency-Key was used for a different request.",
                           {"Idempotency-Key": [Message("Use a new key for a new appeal.")]})
    appeal = session.scalars(select(Appeal).where(Appeal.number == record.body["appeal"])).one()
    return appeal, session.scalar(select(Complaint).where(Complaint.appeal_id == appeal.id))
