"""The report endpoints and the complaint list over the API: scopes, the person a client acts for, formats."""
from __future__ import annotations

import csv
import io

import time_machine
from flask import Flask
from openpyxl import load_workbook

from engine import ProcessEngine
from tests.reports import october


def _bearer(engine: ProcessEngine, name: str, scopes: list[str], user: str | None = None) -> dict[str, str]:
    _client, secret = engine.create_api_client(name, scopes, user)
    return {"Authorization": f"Bearer {secret}"}


def test_the_monthly_report_answers_the_promised_fields(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    headers = _bearer(engine, "bi", ["reports:read"])
    with time_machine.travel(october.NOW, tick=False):
        body = app.test_client().get("/api/v1/reports/monthly?month=2026-10", headers=headers).get_json()
    assert {k: body[k] for k in ("month", "received", "closed_stage1", "loyalty_percent", "satisfaction_percent",
                                 "on_time_percent")} == {
        "month": "2026-10", "received": 3, "closed_stage1": 3, "loyalty_percent": 66.7,
        "satisfaction_percent": 33.3, "on_time_percent": 60.0}
    assert body["by_type"]["complaint"] == 3 and body["by_type"]["gratitude"] == 1
    assert body["by_department"] == {"ДКС": 2, "ОПР": 1}
    assert body["justification"] == {"justified": 1, "partly_justified": 0, "unjustified": 1, "undetermined": 1}


def test_nothing_closed_gives_null_percentages(app: Flask, engine: ProcessEngine) -> None:
    body = app.test_client().get("/api/v1/reports/monthly?month=2026-08",
                                 headers=_bearer(engine, "bi", ["reports:read"])).get_json()
    assert body["closed_stage1"] == 0 and body["loyalty_percent"] is None and body["on_time_percent"] is None


def test_bad_months_and_formats_are_422_problems(app: Flask, engine: ProcessEngine) -> None:
    client, headers = app.test_client(), _bearer(engine, "bi", ["reports:read"])
    bad = client.get("/api/v1/reports/monthly?month=2026-13", headers=headers)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"] == {"month": ["Give the month as YYYY-MM, e.g. 2026-11."]}
    missing = client.get("/api/v1/reports/kpi", headers=headers)
    assert missing.status_code == 422 and "month" in missing.get_json()["errors"]
    pdf = client.get("/api/v1/reports/monthly?month=2026-10&format=pdf", headers=headers)
    assert pdf.status_code == 422 and "format" in pdf.get_json()["errors"]


def test_reports_need_their_scope_and_a_person_who_may_read_them(app: Flask, engine: ProcessEngine) -> None:
    client = app.test_client()
    assert client.get("/api/v1/reports/monthly?month=2026-10").status_code == 401
    intake = _bearer(engine, "site", ["appeals:write", "complaints:read"])
    assert client.get("/api/v1/reports/monthly?month=2026-10", headers=intake).status_code == 403
    for_responsible = _bearer(engine, "bot", ["reports:read"], "responsible")
    refused = client.get("/api/v1/reports/kpi?month=2026-10", headers=for_responsible)
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "User responsible has no role that may do this (qms, owner, executive)."
    for_executive = _bearer(engine, "dash", ["reports:read"], "executive")
    assert client.get("/api/v1/reports/kpi?month=2026-10", headers=for_executive).status_code == 200


def test_reports_as_csv_and_xlsx(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    client, headers = app.test_client(), _bearer(engine, "bi", ["reports:read"])
    with time_machine.travel(october.NOW, tick=False):
        as_csv = client.get("/api/v1/reports/monthly?month=2026-10&format=csv", headers=headers)
        as_xlsx = client.get("/api/v1/reports/kpi?month=2026-10&format=xlsx", headers=headers)
        weekly = client.get("/api/v1/reports/weekly?week=2026-W43", headers=headers).get_json()
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig")), delimiter=";"))
    assert as_csv.mimetype == "text/csv" and ["Закрыт этап коррекции", "3"] in rows
    header, *kpis = load_workbook(io.BytesIO(as_xlsx.data)).active.iter_rows(values_only=True)
    assert {r[0]: r[header.index("Оценка")] for r in kpis} == {"Бадыштова К.": 68.3, "Агибалова А.": 45.0}
    assert weekly["totals"] == {"received": 0, "due": 2, "overdue": 1, "closed": 1}


def test_the_complaint_list_filters_pages_and_exports(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    client, headers = app.test_client(), _bearer(engine, "crm", ["complaints:read"])
    body = client.get("/api/v1/complaints?department=ОПР&per_page=2", headers=headers).get_json()
    assert body["total"] == 3 and [i["number"] for i in body["items"]] == ["P2610010001", "P2609250001"]
    assert body["items"][1]["responsible"] == "Агибалова А." and body["items"][1]["justification"] == \
        "partly_justified"
    second = client.get("/api/v1/complaints?department=ОПР&per_page=2&page=2", headers=headers).get_json()
    assert [i["number"] for i in second["items"]] == ["P2603100001"]
    dated = client.get("/api/v1/complaints?from=2026-10-01&to=2026-10-31&q=Альфа", headers=headers).get_json()
    assert [i["number"] for i in dated["items"]] == ["P2610060001", "P2610050001"]
    first_of_october = client.get("/api/v1/complaints?from=2026-10-01&to=2026-10-01", headers=headers).get_json()
    assert [i["number"] for i in first_of_october["items"]] == ["P2610010001"]  # 00:30 Moscow time on 1 October
    exported = client.get("/api/v1/complaints?department=ОПР&format=xlsx", headers=headers)
    numbers = [r[0] for r in load_workbook(io.BytesIO(exported.data)).active.iter_rows(min_row=2, values_only=True)]
    assert numbers == ["P2610010001", "P2609250001", "P2603100001"]
    bad = client.get("/api/v1/complaints?from=yesterday&state=maybe", headers=headers)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"from", "state"}
