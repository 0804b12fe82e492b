"""QMS control pages: the weekly review, the monthly report with charts, the KPIs and their exports."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.reports import periods, sheets
from engine.reports.kpi import INDICATORS
from web import downloads
from web.permissions import REPORTS
from web.queries import engine
from web.ui.access import actor, headed_departments
from web.ui.messages import localized_fields

bp = Blueprint("reports", __name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chosen(name: str, default: str, parse: Any) -> tuple[str, str | None]:
    """The period asked for, or the default with a message when it cannot be read."""
    value = request.args.get(name) or default
    try:
        parse(value, engine().runtime.tz)
    except InvalidInput:
        return default, value
    return value, None


@bp.route("/review/weekly")
def weekly() -> str:
    """QMS, the owner and executives see every department; a department head sees their own."""
    sees_all = any(current_user.has_role(r) for r in REPORTS)
    own = headed_departments()
    tz = engine().runtime.tz
    current = periods.week_of(_now(), tz).key
    key, bad = _chosen("week", current, periods.week)
    review = engine().weekly_review(key, None if sees_all else own)
    step = dt.timedelta(weeks=1)
    start = periods.week(key, tz).start
    return render_template("reports/weekly.html", review=review, bad_week=bad, own=None if sees_all else own,
                           previous=periods.week_of(start - step, tz).key, next=periods.week_of(start + step, tz).key)


@bp.route("/reports/monthly")
def monthly() -> str:
    tz = engine().runtime.tz
    key, bad = _chosen("month", periods.month_of(_now(), tz, back=1).key, periods.month)
    return render_template("reports/monthly.html", report=engine().monthly_report(key), bad_month=bad)


@bp.route("/reports/monthly/export")
def monthly_export() -> Response:
    report = _or_400(lambda: engine().monthly_report(request.args.get("month", "")))
    return downloads.monthly_download(report, sheets.monthly_tables(report), _format())


@bp.route("/reports/kpi")
def kpi() -> str:
    tz = engine().runtime.tz
    key, bad = _chosen("month", periods.month_of(_now(), tz, back=1).key, periods.month)
    data = engine().kpis(key)
    return render_template("reports/kpi.html", data=data, bad_month=bad, values=data["weights"], errors={},
                           indicators=INDICATORS)


@bp.route("/reports/kpi/weights", methods=["POST"])
def kpi_weights() -> str | Response:
    month = request.form.get("month", "")
    values = {name: request.form.get(name, "") for name in INDICATORS}
    try:
        engine().set_kpi_weights(values, actor())
    except InvalidInput as err:
        data = engine().kpis(month if _readable(month) else periods.month_of(_now(), engine().runtime.tz, 1).key)
        return render_template("reports/kpi.html", data=data, bad_month=None, values=values,
                               errors=localized_fields(err.fields), indicators=INDICATORS), 422
    flash(_("Веса показателей сохранены."), "ok")
    return redirect(url_for("reports.kpi", month=month) if _readable(month) else url_for("reports.kpi"))


@bp.route("/reports/kpi/export")
def kpi_export() -> Response:
    data = _or_400(lambda: engine().kpis(request.args.get("month", "")))
    return downloads.download(sheets.kpi_tables(data), _format(), f"kpi-{data['month']}")


def _readable(month: str) -> bool:
    try:
        periods.month(month, engine().runtime.tz)
    except InvalidInput:
        return False
    return True


def _or_400(build: Any) -> Any:
    try:
        return build()
    except InvalidInput:
        abort(400, _("Укажите месяц в виде ГГГГ-ММ, например 2026-11."))


def _format() -> str:
    fmt = request.args.get("format", "csv")
    if fmt not in downloads.FORMATS:
        abort(400, _("Формат выгрузки: csv или xlsx."))
    return fmt
