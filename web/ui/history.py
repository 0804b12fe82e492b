"""A complaint's history for an auditor: the readable chain with its check, and the JSON export to verify offline."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Attachment, Complaint, Task, db
from web.queries import engine
from web.ui.access import actor
from web.ui.formatting import use_department_time
from web.ui.history_view import history_rows

bp = Blueprint("history", __name__)
PROBLEMS = {
    "hash_mismatch": _l("содержимое события изменено: хеш не совпадает"),
    "prev_mismatch": _l("ссылка на предыдущее событие не совпадает: событие удалено или заменено"),
    "missing_events": _l("пропущены номера: события удалены"),
    "repeated_seq": _l("номер повторяется: событие вставлено"),
    "head_mismatch": _l("последнее событие не совпадает с вершиной цепочки: события удалены в конце"),
    "data_mismatch": _l("читаемые данные не совпадают с зашифрованными"),
}


def _complaint(number: str) -> Complaint:
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    if complaint is None:
        abort(404)
    return complaint


@bp.route("/complaints/<number>/history")
def history_page(number: str) -> str:
    complaint = _complaint(number)
    use_department_time(complaint.department.code if complaint.department else None)
    events = engine().history(number)
    report = engine().verify_complaint_history(number)
    tasks = {t.id: t for t in db.session.scalars(select(Task).where(Task.business_key == number))}
    files = {a.id: a.filename for a in db.session.scalars(select(Attachment).where(
        Attachment.appeal_id == complaint.appeal_id))}
    heads = {e.instance_id: e for e in sorted(events, key=lambda e: e.seq)}  # the last event of each instance
    return render_template("history.html", c=complaint, rows=history_rows(events, tasks, files), report=report,
                           heads=heads.values(), problem=PROBLEMS.get(report.broken.problem) if report.broken else None)


@bp.route("/complaints/<number>/history.json")
def history_export(number: str) -> Response:
    _complaint(number)
    document = engine().export_history(number, actor())
    body = json.dumps(document, ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="history-{_safe(number)}.json"'})


def _safe(number: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in number)
