"""Every download of client data is recorded (who, when, what with which filters, how many rows) for QMS."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import NewFile, ProcessEngine
from models import Appeal, Attachment, DataExport, db


def _log() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [(e.actor, e.what, e.format, e.filters, e.rows)
            for e in db.session.scalars(select(DataExport).order_by(DataExport.id))]


def test_list_exports_attachments_and_reports_are_recorded(app: Flask, engine: ProcessEngine, register: Any,
                                                          qms_client: Any, auth: dict[str, str]) -> None:
    register()
    register(channel="email")
    register(attachments=(NewFile("акт.pdf", "application/pdf", b"%PDF-1.4 act"),))
    csv = qms_client.get("/complaints/export", query_string={"format": "csv", "channel": "phone", "page": "2"})
    assert csv.status_code == 200 and csv.get_data().count(b"\r\n") == 3  # header and the two phone complaints
    qms_client.get("/appeals/export?format=xlsx")
    api = app.test_client().get("/api/v1/complaints?format=csv&state=open", headers=auth)
    assert api.status_code == 200
    attachment = db.session.scalars(select(Attachment)).one()
    assert qms_client.get(f"/attachments/{attachment.id}").get_data() == b"%PDF-1.4 act"
    qms_client.get("/reports/monthly/export?month=2026-10&format=csv")
    appeal = db.session.scalars(select(Attachment.appeal_id)).one()
    assert _log() == [
        ("Матвеева Анна", "complaints", "csv", {"channel": "phone"}, 2),
        ("Матвеева Анна", "appeals", "xlsx", {}, 3),
        ("api:test-channel", "complaints", "csv", {"state": "open"}, 3),
        ("Матвеева Анна", "attachment", "file", {"attachment": str(attachment.id), "appeal": _number(appeal)}, 1),
        ("Матвеева Анна", "monthly_report", "csv", {"month": "2026-10"}, 0),
    ]
    page = qms_client.get("/privacy/exports").get_data(as_text=True)
    assert page.count('data-test="export-') == 5
    assert "Список претензий" in page and "channel=phone" in page


def _number(appeal_id: int) -> str:
    return db.session.get(Appeal, appeal_id).number or ""


def test_the_auditors_history_export_is_recorded(app: Flask, engine: ProcessEngine, register: Any,
                                                 qms_client: Any) -> None:
    number = register()
    answer = qms_client.get(f"/complaints/{number}/history.json")
    events = sum(len(i["events"]) for i in answer.get_json()["instances"])
    assert answer.status_code == 200 and events > 0
    assert _log() == [("Матвеева Анна", "history", "json", {"complaint": number}, events)]
