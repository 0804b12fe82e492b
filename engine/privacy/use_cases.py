"""Use cases of personal data: the consent register, erasure on request, the retention job, recorded exports."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import Runtime
from engine.errors import ConcurrentUpdate
from engine.history import vault
from engine.people.actor import Actor
from engine.privacy import consents, exports, retention, scrub, subjects
from engine.privacy.scrub import Changes
from engine.privacy.subjects import SubjectQuery
from engine.reports import digests
from models import AuditLog, Complaint, Consent, CronRun, DataExport, TrackAttempt

RETENTION_JOB = "privacy-retention"


def consent_register(rt: Runtime, filters: Mapping[str, Any]) -> list[Consent]:
    return list(rt.session.scalars(consents.register(filters, rt.tz)))


def withdraw_consent(rt: Runtime, consent_id: int, note: str, actor: Actor) -> Consent:
    with rt.transaction() as s:
        return consents.withdraw(s, consent_id, note, actor.name, rt.clock())


def erasure_preview(rt: Runtime, query: SubjectQuery) -> dict[str, Any]:
    """What erasure would remove for the person found by `query` (read only)."""
    s = rt.session
    return subjects.preview(s, subjects.find(s, query.checked()))


def erase_subject(rt: Runtime, query: SubjectQuery, actor: Actor) -> dict[str, Any]:
    """Erase the person's data from every closed case and every loose record (ratings, consents, letters,
    messages); a case still open is refused and named, to be erased again once it closes. The report lists
    per case the tables and fields emptied, the rows and files removed; the audit log keeps it without any
    of the personal data (which identifiers were searched by, never their values)."""
    checked = query.checked()
    with rt.transaction() as s:
        now = rt.clock()
        found = subjects.find(s, checked)
        report: dict[str, Any] = {"cases": [], "refused": []}
        kept: set[str] = set()
        instances: list[int] = []
        files = []
        erasable = []
        for appeal in found.appeals:
            if (open_one := subjects.open_complaint(s, appeal)) is not None:
                report["refused"].append({"appeal": appeal.number, "complaint": open_one.number, "reason": "open"})
                kept.add(open_one.number or "")
            else:
                erasable.append(appeal)
        together = frozenset(a.id for a in erasable)
        for appeal in erasable:
            changes = scrub.scrub_case(s, appeal, rt.settings.attachments_dir, now, together)
            complaint = s.scalar(select(Complaint.number).where(Complaint.appeal_id == appeal.id))
            report["cases"].append({"appeal": appeal.number, "complaint": complaint, **changes.as_report()})
            instances += changes.instances
            files += changes.files
        loose = _loose(s, found, kept, now)
        report["other"] = loose.as_report()
        report["history_keys_destroyed"] = vault.shred(s, instances, "erasure on the subject's request",
                                                       actor.name)
        s.add(AuditLog(at=now, actor=actor.name, action="personal_data_erased",
                       data={"searched_by": checked.searched_by, **report}))
    scrub.remove_files(files)
    return report


def _loose(s: Session, found: subjects.Found, kept: set[str], now: dt.datetime) -> Changes:
    """The person's records outside their cases (a case still open keeps what belongs to it)."""
    changes = Changes()
    for review in found.reviews:
        scrub.scrub_review(review, changes, now)
    scrub.scrub_consents((c for c in found.consents if not _in_open_case(s, c, kept)), changes, now)
    open_ids = set(s.scalars(select(Complaint.id).where(Complaint.number.in_(kept))))
    scrub.scrub_messages((m for m in found.messages if m.complaint_id not in open_ids), changes, now)
    scrub.scrub_outbox((o for o in found.letters if o.business_key not in kept), changes, now)
    return changes


def _in_open_case(s: Session, consent: Consent, kept: set[str]) -> bool:
    if consent.appeal_id is None:
        return False
    return s.scalar(select(Complaint.number).where(Complaint.appeal_id == consent.appeal_id)) in kept


def apply_retention(rt: Runtime, now: dt.datetime | None = None) -> dict[str, int] | None:
    """Anonymise every record past its kind's period, once a day whatever the number of scheduler processes
    (the day is claimed like the report jobs' periods); None when another process already has today."""
    now = now or rt.clock()
    rules: retention.RetentionRules = rt.settings.retention
    files = []
    try:
        with rt.transaction() as s:
            run = digests.claim(s, RETENTION_JOB, now.astimezone(rt.tz).date().isoformat(), now)
            if run is None:
                return None
            done, instances, files = _expired(s, rules, rt.settings.attachments_dir, now)
            done["history_keys_destroyed"] = vault.shred(s, instances, "retention period over")
            run.outcome = ", ".join(f"{k}: {v}" for k, v in done.items())[:300]
            s.add(AuditLog(at=now, actor="system", action="personal_data_anonymised",
                           data={"periods": rules.as_dict(), "done": done}))
    except ConcurrentUpdate:
        return None
    scrub.remove_files(files)
    return done


def _expired(s: Session, rules: retention.RetentionRules, folder: Any,
             now: dt.datetime) -> tuple[dict[str, int], list[int], list[Any]]:
    changes = Changes()
    done = {kind: 0 for kind in retention.KINDS}
    due = {"complaints": retention.complaint_appeals_due(s, rules.cutoff("complaints", now)),
           "appeals": retention.other_appeals_due(s, rules.cutoff("appeals", now))}
    together = frozenset(a.id for appeals in due.values() for a in appeals)
    for kind, appeals in due.items():
        for appeal in appeals:
            case = scrub.scrub_case(s, appeal, folder, now, together)
            changes.files += case.files
            changes.instances += case.instances
            done[kind] += 1
    for review in retention.reviews_due(s, rules.cutoff("reviews", now)):
        scrub.scrub_review(review, changes, now)
        scrub.scrub_consents(s.scalars(select(Consent).where(Consent.review_id == review.id)), changes, now)
        done["reviews"] += 1
    messages = retention.messages_due(s, rules.cutoff("client_messages", now))
    scrub.scrub_messages(messages, changes, now)
    letters = retention.outbox_due(s, rules.cutoff("outbox", now))
    scrub.scrub_outbox(letters, changes, now)
    gone = s.execute(delete(TrackAttempt).where(TrackAttempt.at < rules.cutoff("track_attempts", now)))
    done.update(client_messages=len(messages), outbox=len(letters), track_attempts=gone.rowcount or 0)
    return done, changes.instances, changes.files


def record_export(rt: Runtime, actor: Actor, what: str, fmt: str, filters: Mapping[str, Any], rows: int) -> None:
    """Note a download of client data before it is sent: who, when, what (with the filters), how many rows."""
    with rt.transaction() as s:
        exports.note(s, actor, what, fmt, filters, rows, rt.clock())


def export_log(rt: Runtime, limit: int = 500) -> list[DataExport]:
    return list(rt.session.scalars(select(DataExport).order_by(DataExport.at.desc(), DataExport.id.desc())
                                   .limit(limit)))


def retention_runs(rt: Runtime, limit: int = 30) -> list[CronRun]:
    return list(rt.session.scalars(select(CronRun).where(CronRun.job == RETENTION_JOB)
                                   .order_by(CronRun.started_at.desc()).limit(limit)))


def erasures(rt: Runtime, limit: int = 100) -> list[AuditLog]:
    return list(rt.session.scalars(select(AuditLog).where(AuditLog.action == "personal_data_erased")
                                   .order_by(AuditLog.at.desc()).limit(limit)))
