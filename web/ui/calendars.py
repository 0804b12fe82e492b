"""«Календарь подразделения»: QMS gives a branch its time zone and regional days off (its deadlines follow, shown
before saving as a preview and after it)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from models import Department, DepartmentCalendar, db
from web.ui.access import actor
from web.ui.messages import localized_fields

bp = Blueprint("calendars", __name__)


def _holidays_text(rows: list[list[str]]) -> str:
    return "\n".join(f"{day} {note}".strip() for day, note in rows)


def _parse_holidays(text: str) -> list[tuple[str, str]]:
    """One day a line: `2026-12-01 региональный праздник` (the note is optional)."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            day, _sep, note = line.strip().partition(" ")
            rows.append((day, note.strip()))
    return rows


@bp.route("/calendar/departments")
def departments() -> str:
    rows = db.session.execute(select(Department, DepartmentCalendar).outerjoin(
        DepartmentCalendar, DepartmentCalendar.department_id == Department.id).order_by(Department.code)).all()
    return render_template("calendars.html", rows=rows, company=current_app.config["TIMEZONE"])


@bp.route("/calendar/departments/<code>", methods=["GET", "POST"])
def department(code: str) -> str | Response:
    found = db.session.scalar(select(Department).where(Department.code == code))
    if found is None:
        abort(404)
    own = db.session.get(DepartmentCalendar, found.id)
    values: dict[str, Any] = {"timezone": own.timezone if own else "",
                              "holidays": _holidays_text(own.holidays) if own else ""}
    errors: dict[str, list[str]] = {}
    moves, outcome = None, None
    if request.method == "POST":
        values = {"timezone": request.form.get("timezone", "").strip(), "holidays": request.form.get("holidays", "")}
        engine = current_app.extensions["complaint_engine"]
        action = request.form.get("action")
        holidays = _parse_holidays(values["holidays"])
        try:
            if action in ("preview", "preview_remove"):
                # What saving would move, nothing saved (the same recomputation, rolled back).
                moves = engine.preview_department_calendar(code, values["timezone"], holidays, actor(),
                                                           remove=action == "preview_remove")
                outcome = action
            else:
                since = engine.runtime.clock()
                if action == "remove":
                    moved = engine.remove_department_calendar(code, actor())
                else:
                    moved = engine.set_department_calendar(code, values["timezone"], holidays, actor())
                flash(_("Календарь сохранён; сроки пересчитаны в открытых претензиях: %(n)s.", n=moved), "ok")
                moves = engine.recent_moves(since, department=code)
                outcome = "removed" if action == "remove" else "saved"
                own = db.session.get(DepartmentCalendar, found.id)
        except InvalidInput as err:
            errors = _form_errors(localized_fields(err.fields))
    return render_template("calendar_department.html", department=found, own=own, values=values, errors=errors,
                           moves=moves, outcome=outcome,
                           company=current_app.config["TIMEZONE"]), 422 if errors else 200


def _form_errors(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Messages of `holidays.N` belong to the one holidays box."""
    out: dict[str, list[str]] = {}
    for name, messages in fields.items():
        out.setdefault("holidays" if name.startswith("holidays") else name, []).extend(messages)
    return out
