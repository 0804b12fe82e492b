"""Uploads are judged by their bytes on every form that takes files, and no file outlives a failed transaction."""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import Actor, NewFile, ProcessEngine
from engine.errors import InvalidInput
from engine.intake.file_types import content_type
from models import Appeal, Attachment, Task, db
from tests.conftest import complaint_input
from tests.test_ui_pages import signed_in, token

PDF = b"%PDF-1.7\n1 0 obj\n"
DISGUISED = {  # name claimed → bytes that are something else
    "акт.pdf": b"MZ\x90\x00\x03 an executable",
    "фото.png": b"<html><script>alert(1)</script></html>",
    "скан.jpg": PDF,
    "договор.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .doc",
    "заметка.txt": b"\x00\x01\x02binary\xff\xfe",
}


@pytest.fixture(autouse=True)
def _own_folder(engine: ProcessEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of this test's own: other runs on the machine write to the shared instance folder."""
    monkeypatch.setattr(engine.runtime, "settings", replace(engine.runtime.settings,
                                                            attachments_dir=tmp_path / "attachments"))


def stored_files(engine: ProcessEngine) -> set[str]:
    folder = Path(engine.settings.attachments_dir)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("a.pdf", PDF, "application/pdf"), ("b.PNG", b"\x89PNG\r\n\x1a\n....", "image/png"),
    ("c.jpeg", b"\xff\xd8\xff\xe0JFIF", "image/jpeg"), ("d.docx", b"PK\x03\x04word/", None),
    ("e.txt", "Текст в 1251".encode("cp1251"), "text/plain"), ("f.txt", "текст".encode(), "text/plain")])
def test_true_files_are_recognised_by_content(name: str, data: bytes, kind: str | None) -> None:
    assert content_type(name, data) == (kind or
                                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@pytest.mark.parametrize("name", DISGUISED)
def test_registration_form_refuses_a_file_whose_bytes_are_another_type(app: Flask, engine: ProcessEngine,
                                                                       name: str) -> None:
    before = stored_files(engine)
    client = signed_in(app, "operator")
    page = client.get("/appeals/new").get_data(as_text=True)
    answer = client.post("/appeals/new", content_type="multipart/form-data", data={
        "csrf_token": token(page), "type": "complaint", "channel": "phone", "department": "ДКС",
        "subject": "Скан договора", "text": "Приложен скан", "attachments": [(io.BytesIO(DISGUISED[name]), name)]})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, html[:2000]
    assert f"{name}: содержимое файла не соответствует типу" in html and "Скан договора" in html
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0 and stored_files(engine) == before


@pytest.mark.parametrize("name", DISGUISED)
def test_public_feedback_form_refuses_a_disguised_file(client: FlaskClient, engine: ProcessEngine, name: str) -> None:
    before = stored_files(engine)
    answer = client.post("/feedback", content_type="multipart/form-data", data={
        "type": "complaint", "message": "Сохранённый текст", "consent_personal_data": "on", "consent_agreement": "on",
        "file": (io.BytesIO(DISGUISED[name]), name)})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and f"{name}: содержимое файла не соответствует типу" in html
    assert "Сохранённый текст" in html and stored_files(engine) == before


def test_task_form_file_fields_are_judged_by_content(engine: ProcessEngine, register: Any) -> None:
    register()
    before = stored_files(engine)
    task = db.session.scalar(select(Task).where(Task.status == "open"))
    with pytest.raises(InvalidInput) as refused:
        engine.complete_task(task.id, {"belongs_to_department": True}, Actor("qms"),
                             {"scan": NewFile("акт.pdf", "application/pdf", DISGUISED["акт.pdf"])})
    assert refused.value.fields == {"scan": ["акт.pdf: the content is not a .pdf file."]}
    assert stored_files(engine) == before and db.session.get(Task, task.id).status == "open"


def test_a_file_written_before_the_form_failed_is_removed(engine: ProcessEngine, register: Any) -> None:
    register()
    before = stored_files(engine)
    task = db.session.scalar(select(Task).where(Task.status == "open"))
    with pytest.raises(InvalidInput) as refused:  # the file is written, then the form refuses the unknown field
        engine.complete_task(task.id, {"belongs_to_department": True}, Actor("qms"),
                             {"scan": NewFile("акт.pdf", "application/pdf", PDF)})
    assert "scan" in refused.value.fields
    assert stored_files(engine) == before and db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_registration_that_fails_after_writing_leaves_no_file(engine: ProcessEngine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    before = stored_files(engine)
    def broken_start(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the process could not start")

    monkeypatch.setattr(engine.runtime, "start_in", broken_start)
    with pytest.raises(RuntimeError):
        engine.register_appeal(complaint_input(attachments=(NewFile("акт.pdf", "application/pdf", PDF),)),
                               Actor("operator"))
    assert stored_files(engine) == before and db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_committed_file_stays_and_is_stored_with_its_proven_type(engine: ProcessEngine) -> None:
    before = stored_files(engine)
    appeal, _complaint = engine.register_appeal(complaint_input(attachments=(
        NewFile("акт.pdf", "text/html", PDF),)), Actor("operator"))
    row = db.session.scalars(select(Attachment).where(Attachment.appeal_id == appeal.id)).one()
    assert row.content_type == "application/pdf" and stored_files(engine) == before | {row.stored_name}


# --- e-mail: new appeals and replies in the client conversation ------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def _mail(subject: str, files: dict[str, bytes], sender: str = "loskova@example.ru") -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"Лоськова <{sender}>", "smk@company.example", subject
    message["Message-ID"] = f"<{abs(hash((subject, tuple(files))))}@example.ru>"
    message.set_content("Программа не открывается, скриншоты во вложении.")
    for name, data in files.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


@pytest.mark.parametrize("name", DISGUISED)
def test_a_disguised_mail_attachment_is_left_out_and_named_in_the_appeal(engine: ProcessEngine, name: str) -> None:
    appeal = engine.ingest_mail(_mail("Не открывается программа", {name: DISGUISED[name], "экран.png": PNG}), "smk")
    assert isinstance(appeal, Appeal)
    rows = list(db.session.scalars(select(Attachment).where(Attachment.appeal_id == appeal.id)))
    assert [(r.filename, r.content_type) for r in rows] == [("экран.png", "image/png")]
    assert stored_files(engine) == {rows[0].stored_name}
    assert appeal.text.startswith("Программа не открывается")
    assert f"[Вложение «{name}» не принято: содержимое не соответствует расширению.]" in appeal.text


def test_a_mail_attachment_of_a_type_not_allowed_is_left_out_with_the_reason(engine: ProcessEngine) -> None:
    appeal = engine.ingest_mail(_mail("Вирус", {"setup.exe": b"MZ\x90\x00"}), "smk")
    assert isinstance(appeal, Appeal)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0 and stored_files(engine) == set()
    assert "[Вложение «setup.exe» не принято: такие файлы не принимаются.]" in appeal.text


def test_a_disguised_attachment_of_a_client_reply_is_left_out_of_the_conversation(engine: ProcessEngine,
                                                                                  register: Any) -> None:
    from models import ClientMessage

    number = register(contact_email="loskova@example.ru")
    message = engine.ingest_mail(_mail(f"Re: [{number}] Претензия", {"акт.pdf": DISGUISED["акт.pdf"],
                                                                     "акт-настоящий.pdf": PDF}), "smk")
    assert isinstance(message, ClientMessage)
    rows = list(db.session.scalars(select(Attachment).where(Attachment.client_message_id == message.id)))
    assert [(r.filename, r.content_type) for r in rows] == [("акт-настоящий.pdf", "application/pdf")]
    assert stored_files(engine) == {rows[0].stored_name}
    assert "[Вложение «акт.pdf» не принято: содержимое не соответствует расширению.]" in message.body


def test_no_channel_can_store_a_file_its_bytes_do_not_prove(engine: ProcessEngine) -> None:
    """The net under every channel: the writer itself refuses, and nothing reaches the disk."""
    from engine.intake.appeals import store_files

    with pytest.raises(InvalidInput) as refused:
        store_files(db.session, 1, (NewFile("акт.pdf", "application/pdf", DISGUISED["акт.pdf"]),),
                    Path(engine.settings.attachments_dir), Actor("почта"), engine.runtime.clock())
    assert refused.value.fields == {"attachments": ["акт.pdf: the content is not what the file name says."]}
    assert stored_files(engine) == set()


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("таблица.ods", b"PK\x03\x04 ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("письмо.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 msg", "application/vnd.ms-outlook"),
    ("текст.rtf", b"{\\rtf1\\ansi hello}", "application/rtf"),
    ("письмо.eml", "From: a@b\r\nSubject: тест\r\n\r\nтекст".encode(), "message/rfc822"),
    ("письмо.eml", b"MZ\x90\x00\x00 binary", None),
    ("текст.rtf", b"%PDF-1.7", None)])
def test_every_allowed_type_has_its_content_check(app: Flask, name: str, data: bytes, kind: str | None) -> None:
    from pathlib import PurePath

    assert PurePath(name).suffix in app.config["ALLOWED_FILE_TYPES"]
    assert content_type(name, data) == kind


def test_no_allowed_type_is_refused_for_want_of_a_check(app: Flask) -> None:
    from engine.intake.file_types import SIGNATURES, TEXT

    assert set(app.config["ALLOWED_FILE_TYPES"]) <= set(SIGNATURES) | set(TEXT)
