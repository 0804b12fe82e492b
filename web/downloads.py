"""Exports as HTTP answers: CSV streamed as it is written, XLSX streamed from a temporary file.

Every download of client data is recorded first (who, when, what with which filters, how many rows), for the
personal-data register QMS reads at /privacy/exports.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, request, send_file, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from engine.people.actor import Actor
from engine.reports.exports import CSV_TYPE, XLSX_TYPE, Table, csv_chunks, xlsx_file
from models import Appeal, Complaint, Counterparty, Department, Responsible, db
from web import listing
from web.queries import engine
from web.ui.formatting import label

FORMATS = ("csv", "xlsx")


def download(tables: list[Table], fmt: str, basename: str) -> Response:
    tz = engine().runtime.tz
    if fmt == "xlsx":
        return send_file(xlsx_file(tables, tz), mimetype=XLSX_TYPE, as_attachment=True,
                         download_name=f"{basename}.xlsx")
    answer = Response(stream_with_context(csv_chunks(tables, tz)), mimetype=CSV_TYPE)
    answer.headers["Content-Disposition"] = f'attachment; filename="{basename}.csv"'
    return answer


def record(what: str, fmt: str, filters: Mapping[str, Any], rows: int) -> None:
    """Note the download in the export register before any byte of it leaves."""
    engine().record_export(_who(), what, fmt, {k: filters.get(k) for k in filters}, rows)


def _who() -> Actor:
    """The API's caller (set by the permission check), else the signed-in person of a page."""
    if request.path.startswith("/api/"):
        return g.actor  # type: ignore[no-any-return]
    from web.ui.access import actor as signed_in

    return signed_in()


def _count(stmt: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _filters(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: args.get(k) for k in listing.FILTERS if args.get(k) not in (None, "")}


def complaint_download(args: Mapping[str, Any], fmt: str, basename: str) -> Response:
    record("complaints", fmt, _filters(args), _count(listing.complaints(args)))
    return download([complaint_table(args)], fmt, basename)


def appeal_download(args: Mapping[str, Any], fmt: str, basename: str) -> Response:
    record("appeals", fmt, _filters(args), _count(listing.appeals(args)))
    return download([appeal_table(args)], fmt, basename)


def monthly_download(report: dict[str, Any], tables: list[Table], fmt: str) -> Response:
    """The monthly report names the repeat clients (an individual's name and INN among them)."""
    record("monthly_report", fmt, {"month": report["month"]}, len(report["repeat_counterparties"]))
    return download(tables, fmt, f"monthly-report-{report['month']}")


class _Labels(dict[Any, Any]):
    """Code → its title in the page's language, looked up once per export rather than once per cell."""

    def __missing__(self, code: Any) -> Any:
        self[code] = None if code is None else str(label(code))
        return self[code]


def complaint_table(args: Mapping[str, Any]) -> Table:
    stmt = listing.complaints(
        args, Complaint.number, Complaint.registered_at, Counterparty.name, Counterparty.inn, Appeal.subject,
        Appeal.channel, Complaint.kind, Department.code, Responsible.person_name, Responsible.position,
        Complaint.importance, Complaint.justification, Complaint.stage1_status, Complaint.stage2_status,
        Complaint.stage1_closed_at, Complaint.loyal, Complaint.satisfied, listing.overdue_clause().label("overdue"))
    columns = [_("Номер"), _("Дата"), _("Клиент"), _("ИНН"), _("Тема"), _("Способ поступления"), _("Вид"),
               _("Подразделение"), _("Ответственный"), _("Важность"), _("Обоснованность"), _("Этап 1"),
               _("Этап 2"), _("Этап 1 закрыт"), _("Лоялен"), _("Удовлетворён решением"), _("Просрочка")]
    t = _Labels()
    rows = ([r.number, r.registered_at, r.name, r.inn, r.subject, t[r.channel], t[r.kind], r.code,
             r.person_name or r.position, t[r.importance], t[r.justification], t[r.stage1_status],
             t[r.stage2_status], r.stage1_closed_at, r.loyal, r.satisfied, bool(r.overdue)]
            for r in listing.stream(stmt))
    return Table(_("Претензии"), columns, rows)


def appeal_table(args: Mapping[str, Any]) -> Table:
    stmt = listing.appeals(
        args, Appeal.number, Appeal.received_at, Appeal.type, Appeal.channel, Appeal.state, Counterparty.name,
        Counterparty.inn, Appeal.subject, Department.code, Responsible.person_name, Responsible.position,
        Appeal.author)
    columns = [_("Номер"), _("Дата"), _("Тип"), _("Способ поступления"), _("Состояние"), _("Клиент"), _("ИНН"),
               _("Тема"), _("Подразделение"), _("Ответственный"), _("Автор")]
    t = _Labels()
    rows = ([r.number, r.received_at, t[r.type], t[r.channel], t[r.state], r.name, r.inn, r.subject,
             r.code, r.person_name or r.position, r.author] for r in listing.stream(stmt))
    return Table(_("Обращения"), columns, rows)
