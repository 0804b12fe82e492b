"""QMS control over the API: the monthly report, the KPIs and the weekly review, as JSON, CSV or XLSX."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import Forbidden

from engine.reports import sheets
from models import User, db
from web import downloads
from web.api.report_schemas import KpiOut, MonthlyReportOut, MonthQuery, WeeklyOut, WeekQuery
from web.auth import requires
from web.queries import engine

PREFIX = "/reports"
blp = Blueprint("api_reports", __name__, description="Reports: monthly report, KPIs, weekly review")
READERS = ("qms", "owner", "executive")
FILE_ANSWERS = {"content": {"text/csv": {}, downloads.XLSX_TYPE: {}}}


def _check_person() -> None:
    """A client acting for a person reads reports only when that person may (QMS, owner, executives)."""
    if g.actor.user_id is None:
        return
    user = db.session.get(User, g.actor.user_id)
    if user is None or not any(user.has_role(r) for r in READERS):
        raise Forbidden("The person this client acts for may not read reports.")


@blp.route("/monthly")
class Monthly(MethodView):
    @requires("reports:read")
    @blp.arguments(MonthQuery, location="query")
    @blp.response(200, MonthlyReportOut)
    @blp.doc(responses={"200": FILE_ANSWERS})
    def get(self, query: dict[str, Any]) -> Any:
        """The month's figures; `format=csv|xlsx` answers the same report as a file."""
        _check_person()
        report = engine().monthly_report(query["month"])
        if query["format"] != "json":
            return downloads.download(sheets.monthly_tables(report), query["format"],
                                      f"monthly-report-{report['month']}")
        return report


@blp.route("/kpi")
class Kpi(MethodView):
    @requires("reports:read")
    @blp.arguments(MonthQuery, location="query")
    @blp.response(200, KpiOut)
    @blp.doc(responses={"200": FILE_ANSWERS})
    def get(self, query: dict[str, Any]) -> Any:
        """KPIs per responsible for the month with the weights QMS set; `format=csv|xlsx` for a file."""
        _check_person()
        data = engine().kpis(query["month"])
        if query["format"] != "json":
            return downloads.download(sheets.kpi_tables(data), query["format"], f"kpi-{data['month']}")
        return data


@blp.route("/weekly")
class Weekly(MethodView):
    @requires("reports:read")
    @blp.arguments(WeekQuery, location="query")
    @blp.response(200, WeeklyOut)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Complaints received, due, overdue and closed in the ISO week."""
        _check_person()
        return engine().weekly_review(query["week"])
