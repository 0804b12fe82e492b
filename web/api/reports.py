"""QMS control over the API: the monthly report, the KPIs and the weekly review, as JSON, CSV or XLSX."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView

from engine.reports import sheets
from web import downloads
from web.api.blueprint import Blueprint
from web.api.report_schemas import KpiOut, MonthlyReportOut, MonthQuery, WeeklyOut, WeekQuery
from web.queries import engine

PREFIX = "/reports"
blp = Blueprint("api_reports", __name__, description="Reports: monthly report, KPIs, weekly review")
def file_answers(schema: Any) -> dict[str, Any]:
    """The 200 of an endpoint that answers JSON, or the same data as a file with `format=csv|xlsx`."""
    return {"content": {"application/json": {"schema": schema}, "text/csv": {}, downloads.XLSX_TYPE: {}}}


@blp.route("/monthly")
class Monthly(MethodView):
    @blp.arguments(MonthQuery, location="query")
    @blp.response(200, MonthlyReportOut)
    @blp.doc(responses={"200": file_answers(MonthlyReportOut)})
    def get(self, query: dict[str, Any]) -> Any:
        """The month's figures; `format=csv|xlsx` answers the same report as a file."""
        report = engine().monthly_report(query["month"])
        if query["format"] != "json":
            return downloads.monthly_download(report, sheets.monthly_tables(report), query["format"])
        return report


@blp.route("/kpi")
class Kpi(MethodView):
    @blp.arguments(MonthQuery, location="query")
    @blp.response(200, KpiOut)
    @blp.doc(responses={"200": file_answers(KpiOut)})
    def get(self, query: dict[str, Any]) -> Any:
        """KPIs per responsible for the month with the weights QMS set; `format=csv|xlsx` for a file."""
        data = engine().kpis(query["month"])
        if query["format"] != "json":
            return downloads.download(sheets.kpi_tables(data), query["format"], f"kpi-{data['month']}")
        return data


@blp.route("/weekly")
class Weekly(MethodView):
    @blp.arguments(WeekQuery, location="query")
    @blp.response(200, WeeklyOut)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Complaints received, due, overdue and closed in the ISO week."""
        return engine().weekly_review(query["week"])
