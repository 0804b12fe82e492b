"""Exports read back: the lists with their filters and the reports, as CSV and XLSX; large CSVs stream."""
from __future__ import annotations

import csv
import datetime as dt
import io

import time_machine
from flask import Flask
from openpyxl import load_workbook

from engine import ProcessEngine
from models import Appeal, db
from tests.reports import october
from tests.test_ui_pages import signed_in


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # the BOM tells Excel it is UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_the_complaint_list_exports_with_its_filters_as_csv(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    answer = signed_in(app, "qms").get("/complaints/export?department=ОПР&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="complaints-' in answer.headers["Content-Disposition"]
    header, *rows = _csv(answer.data)
    assert header[:3] == ["Номер", "Дата", "Клиент"]
    assert [r[0] for r in rows] == ["P2610010001", "P2609250001", "P2603100001"]  # ОПР's, newest first
    c4 = dict(zip(header, rows[1], strict=True))
    assert (c4["Дата"], c4["Клиент"], c4["Подразделение"], c4["Ответственный"]) == (
        "25.09.2026 10:00", "АО «Бета»", "ОПР", "Агибалова А.")
    assert (c4["Обоснованность"], c4["Лоялен"], c4["Удовлетворён решением"]) == ("Частично обоснованная", "да", "нет")


def test_the_complaint_list_exports_as_xlsx_with_local_times(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    answer = signed_in(app, "executive").get("/complaints/export?q=Альфа&from=2026-10-01&format=xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["P2611020001", "P2610060001", "P2610050001"]
    assert rows[-1][1] == dt.datetime(2026, 10, 5, 10, 0)  # Moscow time, as people read it


def test_the_page_links_to_the_export_with_its_current_filters(app: Flask, engine: ProcessEngine) -> None:
    html = signed_in(app, "qms").get("/complaints?department=ДКС&state=open&page=2").get_data(as_text=True)
    link = html.split('data-test="export-csv"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert link.startswith("/complaints/export?") and "department=%D0%94%D0%9A%D0%A1" in link
    assert "state=open" in link and "format=csv" in link and "page=" not in link


def test_the_appeal_list_exports_and_a_large_csv_streams_in_chunks(app: Flask, engine: ProcessEngine) -> None:
    received = dt.datetime(2026, 10, 9, 12, 0, tzinfo=dt.UTC)
    db.session.add_all([Appeal(number=f"A26100900{i:04d}", received_at=received, type="gratitude", channel="site_form",
                               subject=f"Спасибо {i}", text="…", author="site") for i in range(1200)])
    db.session.commit()
    client = signed_in(app, "operator")
    answer = client.get("/appeals/export?type=gratitude&format=csv", buffered=False)
    assert answer.is_streamed
    chunks = list(answer.response)
    assert len(chunks) >= 3  # written 500 rows at a time, not built whole
    rows = _csv(b"".join(chunks))
    assert len(rows) == 1201 and rows[1][2] == "Благодарность"
    book = load_workbook(io.BytesIO(client.get("/appeals/export?type=gratitude&format=xlsx").data), read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) == 1201


def test_the_monthly_report_and_the_kpis_export(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    client = signed_in(app, "executive")
    with time_machine.travel(october.NOW, tick=False):
        text = _csv(client.get("/reports/monthly/export?month=2026-10&format=csv").data)
        book = load_workbook(io.BytesIO(client.get("/reports/monthly/export?month=2026-10&format=xlsx").data))
        kpi = load_workbook(io.BytesIO(client.get("/reports/kpi/export?month=2026-10&format=xlsx").data))
    assert text[0] == ["Сводка 2026-10"] and ["Поступило претензий", "3"] in text
    assert ["Лояльность, %", "66,7"] in text
    steps = {r[0]: r[1:] for r in book["Сроки по шагам"].iter_rows(min_row=2, values_only=True)}
    assert steps["1.1"] == (3, 2, 66.7) and steps["1.4"] == (0, 0, None)
    assert [r for r in book["Лояльность по годам"].iter_rows(values_only=True)][-1] == ("2026", 4, 2, 50.0, 25.0)
    header, *rows = list(kpi.active.iter_rows(values_only=True))
    scores = {r[0]: r[header.index("Оценка")] for r in rows}
    assert scores == {"Бадыштова К.": 68.3, "Агибалова А.": 45.0}


def test_an_unknown_format_is_refused(app: Flask, engine: ProcessEngine) -> None:
    client = signed_in(app, "qms")
    assert client.get("/complaints/export?format=pdf").status_code == 400
    assert client.get("/reports/monthly/export?month=2026-10&format=pdf").status_code == 400


def test_list_exports_need_a_signed_in_reader_or_the_complaints_scope(app: Flask, engine: ProcessEngine) -> None:
    client = app.test_client()
    for url in ("/complaints/export?format=csv", "/appeals/export?format=xlsx"):
        answer = client.get(url)
        assert answer.status_code == 401 and 'name="login"' in answer.get_data(as_text=True)
    _client, secret = engine.create_api_client("intake-only", ["appeals:write"], None)
    refused = client.get("/api/v1/complaints?format=csv", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
