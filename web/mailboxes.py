"""Mailboxes that `complaint-desk ingest-mail` reads: a Maildir folder or an IMAP folder.

A message is marked as read only after its appeal is committed; one that fails stays unread and is
tried again next time (the Message-ID check makes a second pass harmless)."""
from __future__ import annotations

import contextlib
import imaplib
import mailbox
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path


@dataclass
class IngestReport:
    created: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)


Ingest = Callable[[bytes], str | None]  # returns the appeal number, or None for a duplicate


def _take(report: IngestReport, ingest: Ingest, raw: bytes, label: str) -> bool:
    """Ingest one message into the report; False when it failed and must stay unread."""
    try:
        number = ingest(raw)
    except Exception as err:
        # Keep the message unread for the next run; say which one failed and why.
        report.failed.append(f"{label}: {type(err).__name__}: {err}")
        return False
    if number is None:
        report.skipped += 1
    else:
        report.created.append(number)
    return True


def read_maildir(path: Path, ingest: Ingest) -> IngestReport:
    report = IngestReport()
    folder = mailbox.Maildir(str(path), create=False)
    for key in sorted(folder.keys(), key=lambda k: _sent(folder.get_message(k))):
        message = folder.get_message(key)
        if "S" in message.get_flags() or not _take(report, ingest, folder.get_bytes(key), key):
            continue
        message.set_subdir("cur")
        message.add_flag("S")
        folder[key] = message
    return report


def _sent(message: mailbox.MaildirMessage) -> tuple[float, float]:
    """Oldest first: by the Date header, then by when the file arrived."""
    try:
        date = parsedate_to_datetime(message["Date"]).timestamp() if message["Date"] else float("inf")
    except (TypeError, ValueError):
        date = float("inf")
    return date, message.get_date()


def read_imap(host: str, port: int, user: str, password: str, folder: str, ingest: Ingest,
              ssl: bool = True) -> IngestReport:
    report = IngestReport()
    client = imaplib.IMAP4_SSL(host, port) if ssl else imaplib.IMAP4(host, port)
    try:
        client.login(user, password)
        client.select(folder)
        _status, data = client.uid("SEARCH", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is None:
                report.failed.append(f"{uid.decode()}: no body")
                continue
            if _take(report, ingest, raw, uid.decode()):
                client.uid("STORE", uid, "+FLAGS", r"(\Seen)")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return report
