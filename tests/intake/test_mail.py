"""`complaint-desk ingest-mail` on a Maildir of real .eml files: once per message, nothing lost on error."""
from __future__ import annotations

import mailbox
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from models import Appeal, Attachment, Complaint, IngestedMessage, db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    box = mailbox.Maildir(str(tmp_path / "smk"), create=True)
    for eml in sorted(FIXTURES.glob("*.eml")):
        box.add(mailbox.MaildirMessage(eml.read_bytes()))
    return tmp_path / "smk"


def unread(path: Path) -> int:
    return sum("S" not in m.get_flags() for m in mailbox.Maildir(str(path), create=False))


def test_each_message_becomes_one_appeal(app: Flask, engine: ProcessEngine, maildir: Path) -> None:
    result = app.test_cli_runner().invoke(args=["ingest-mail", "--maildir", str(maildir)])
    assert result.exit_code == 0, result.output
    assert "2 created, 1 already ingested, 0 failed" in result.output
    appeals = {a.subject: a for a in db.session.scalars(select(Appeal))}
    first = appeals["Жалоба: программа загружается 4 минуты"]
    assert first.channel == "email" and first.type == "complaint"
    assert first.contact.full_name == "Лоськова Галина" and first.contact.email == "loskova@example.ru"
    assert "Программа загружается 3-4 минуты" in first.text
    assert first.received_at.isoformat() == "2025-11-20T07:15:00+00:00"
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.appeal_id == first.id))
    assert (attachment.filename, attachment.content_type) == ("скриншот ошибки.pdf", "application/pdf")
    html = appeals["Не вернули оплату"]
    assert html.text == "Оплата не возвращена 10 дней.\nДиректор" and html.contact.email == "office@romashka.example"
    assert db.session.scalar(select(Complaint).where(Complaint.appeal_id == html.id)) is not None
    assert unread(maildir) == 0
    again = app.test_cli_runner().invoke(args=["ingest-mail", "--maildir", str(maildir)])
    assert "0 created, 0 already ingested, 0 failed" in again.output
    assert len(db.session.scalars(select(IngestedMessage)).all()) == 2


def test_a_failing_message_stays_unread_and_is_taken_next_time(app: Flask, engine: ProcessEngine, maildir: Path,
                                                               monkeypatch: Any) -> None:
    original = engine.ingest_mail

    def flaky(raw: bytes, *args: Any) -> Any:
        if b"refund-2" in raw:
            raise RuntimeError("database went away")
        return original(raw, *args)

    monkeypatch.setattr(engine, "ingest_mail", flaky)
    result = app.test_cli_runner().invoke(args=["ingest-mail", "--maildir", str(maildir)])
    assert result.exit_code == 1 and "1 created, 1 already ingested, 1 failed" in result.output
    assert unread(maildir) == 1
    monkeypatch.setattr(engine, "ingest_mail", original)
    retry = app.test_cli_runner().invoke(args=["ingest-mail", "--maildir", str(maildir)])
    assert "1 created, 0 already ingested, 0 failed" in retry.output and unread(maildir) == 0


def test_mail_for_a_department_and_of_another_type(app: Flask, engine: ProcessEngine, tmp_path: Path) -> None:
    box = tmp_path / "ops"
    shutil.copytree(FIXTURES, tmp_path / "eml")
    folder = mailbox.Maildir(str(box), create=True)
    folder.add(mailbox.MaildirMessage((tmp_path / "eml" / "02-html-only.eml").read_bytes()))
    result = app.test_cli_runner().invoke(args=["ingest-mail", "--maildir", str(box), "--type", "request",
                                                "--department", "ОПР"])
    assert result.exit_code == 0
    appeal = db.session.scalars(select(Appeal)).one()
    assert (appeal.type, appeal.department.code, appeal.state) == ("request", "ОПР", "unprocessed")
    assert app.test_cli_runner().invoke(args=["ingest-mail"]).exit_code != 0


def test_imap_mailbox_is_read_and_marked_seen(app: Flask, engine: ProcessEngine) -> None:
    from tests.intake.imap_stub import ImapStub

    messages = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    with ImapStub(messages) as imap:
        args = ["ingest-mail", "--imap-host", "127.0.0.1", "--imap-port", str(imap.port), "--no-imap-ssl",
                "--imap-user", "smk", "--imap-folder", "INBOX"]
        result = app.test_cli_runner().invoke(args=args, env={"IMAP_PASSWORD": "secret"})
        assert result.exit_code == 0, result.output
        assert "2 created, 1 already ingested, 0 failed" in result.output
        assert imap.box.logins == [("smk", "secret")] and imap.box.seen == {1, 2, 3}
        again = app.test_cli_runner().invoke(args=args, env={"IMAP_PASSWORD": "secret"})
        assert "0 created, 0 already ingested, 0 failed" in again.output
    subjects = sorted(a.subject for a in db.session.scalars(select(Appeal)))
    assert subjects == ["Жалоба: программа загружается 4 минуты", "Не вернули оплату"]
