"""Reading an e-mail into the parts an appeal needs: Message-ID, sender, subject, body, attachments, date."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

from engine.intake.appeals import NewFile
from engine.intake.file_types import content_type


@dataclass(frozen=True)
class Mail:
    message_id: str
    sender_name: str
    sender_email: str
    subject: str
    body: str
    attachments: tuple[NewFile, ...]
    sent_at: dt.datetime | None
    references: tuple[str, ...] = ()  # In-Reply-To and References: the messages this one answers


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        content = re.sub(r"(?is)<(script|style).*?</\1>", "", content)
        content = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content)
        content = html.unescape(re.sub(r"<[^>]+>", "", content))
    return re.sub(r"\n{3,}", "\n\n", content).strip()


def _references(message: EmailMessage) -> tuple[str, ...]:
    found = re.findall(r"<[^<>\s]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    return tuple(dict.fromkeys(m[:500] for m in found))


def parse(raw: bytes) -> Mail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    message_id = (message.get("Message-ID") or "").strip() or f"<sha256-{hashlib.sha256(raw).hexdigest()}@local>"
    name, address = parseaddr(str(message.get("From", "")))
    files = tuple(
        NewFile(part.get_filename() or "attachment", part.get_content_type(), part.get_payload(decode=True) or b"")
        for part in message.iter_attachments())
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message.get("Date") else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=dt.UTC)
    return Mail(message_id[:500], name.strip(), address.strip().lower(), str(message.get("Subject", "")).strip(),
                _text(message), files, sent_at, _references(message))


def _refusal(f: NewFile, allowed: tuple[str, ...], max_bytes: int) -> str | None:
    suffix = f.filename.rpartition(".")[2].lower() if "." in f.filename else ""
    if f".{suffix}" not in allowed:
        return "такие файлы не принимаются"
    if content_type(f.filename, f.data) is None:
        return "содержимое не соответствует расширению"
    if len(f.data) > max_bytes:
        return f"больше {max_bytes // (1024 * 1024)} МБ"
    return None


def screened(mail: Mail, allowed: tuple[str, ...], max_bytes: int) -> Mail:
    """Attachments are judged by their bytes like every other upload. A mail cannot be answered with a field
    message and must not be lost, so a refused file is left out (never written to disk) and named, with the
    reason, at the end of the text for the person who reads it."""
    kept, notes = [], []
    for f in mail.attachments:
        if reason := _refusal(f, allowed, max_bytes):
            notes.append(f"[Вложение «{f.filename}» не принято: {reason}.]")
        else:
            kept.append(f)
    if not notes:
        return mail
    body = "\n\n".join(part for part in (mail.body, "\n".join(notes)) if part)
    return dataclasses.replace(mail, attachments=tuple(kept), body=body)
