"""Uploads are judged by their bytes: the name's extension must agree with what the content really is.

A name and a Content-Type are whatever the sender typed; the first bytes of a file are what a viewer will
open. A file whose content does not match its extension (an executable renamed `.pdf`, HTML sent as
`.png`) is refused, and the stored content type is the one the bytes prove, never the claimed one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from engine.messages import Message

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
SIGNATURES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".zip": ("application/zip", ZIP),
    ".msg": ("application/vnd.ms-outlook", OLE),
    ".rtf": ("application/rtf", (b"{\\rtf",)),
}
# A saved e-mail is text (RFC 5322; 8-bit bodies in UTF-8 or Windows-1251 pass the same check).
TEXT = {".txt": "text/plain", ".csv": "text/csv", ".eml": "message/rfc822"}


class Upload(Protocol):
    filename: str
    data: bytes


def _is_text(data: bytes) -> bool:
    """Plain text in UTF-8 or Windows-1251 (what Russian offices still send), without binary control bytes."""
    if any(b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D) for b in data):
        return False
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def content_type(filename: str, data: bytes) -> str | None:
    """The type the bytes prove for this extension, or None when they do not match it (or it is unknown)."""
    suffix = Path(filename).suffix.lower()
    if suffix in TEXT:
        return TEXT[suffix] if _is_text(data) else None
    known = SIGNATURES.get(suffix)
    if known is None or not data.startswith(known[1]):
        return None
    return known[0]


def file_problems(f: Upload, allowed: tuple[str, ...], max_bytes: int) -> list[str]:
    """Why one file is refused: a type not allowed, content that is not what the name says, too large."""
    problems = []
    suffix = Path(f.filename).suffix.lower()
    if suffix not in allowed:
        problems.append(Message("{file}: files of type {suffix} are not accepted; allowed: {allowed}.",
                                file=f.filename, suffix=suffix or "(none)", allowed=", ".join(allowed)))
    elif content_type(f.filename, f.data) is None:
        problems.append(Message("{file}: the content is not a {suffix} file.", file=f.filename, suffix=suffix))
    if len(f.data) > max_bytes:
        problems.append(Message("{file}: larger than {mb} MB.", file=f.filename, mb=max_bytes // (1024 * 1024)))
    return problems


def upload_problems(files: tuple[Upload, ...], allowed: tuple[str, ...], max_bytes: int) -> list[str]:
    """One message per refused file (see `file_problems`)."""
    return [problem for f in files for problem in file_problems(f, allowed, max_bytes)]
