"""Working-time calendar: what-if deadlines for a registration moment, and QMS's date overrides."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g
from flask.views import MethodView
from sqlalchemy import select

from models import CalendarOverride, Department, DepartmentCalendar, db
from web.api.blueprint import Blueprint
from web.api.calendar_schemas import (
    DepartmentCalendarIn,
    DepartmentCalendarOut,
    OverrideIn,
    OverrideOut,
    WhatIfOut,
    WhatIfQuery,
)
from web.queries import engine

PREFIX = "/calendar"
blp = Blueprint("api_calendar", __name__, description="Working-time calendar and deadlines")


@blp.route("/deadlines")
class WhatIf(MethodView):
    @blp.arguments(WhatIfQuery, location="query")
    @blp.response(200, WhatIfOut)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Every step's deadline for a registration at `received_at` (default now), and the 5-day goal."""
        return engine().what_if(query.get("received_at") or dt.datetime.now(dt.UTC), query.get("department"))


@blp.route("/overrides")
class Overrides(MethodView):
    @blp.response(200, OverrideOut(many=True))
    def get(self) -> list[CalendarOverride]:
        return list(db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


@blp.route("/overrides/<day>")
class Override(MethodView):
    @blp.arguments(OverrideIn)
    @blp.response(200, OverrideOut)
    def put(self, body: dict[str, Any], day: str) -> CalendarOverride:
        """Set a date apart: an extra working day, an extra day off or a shortened day (audited)."""
        date = _date(day)
        engine().set_calendar_override(date, body["kind"], body.get("periods", []), body.get("note", ""), g.actor)
        return db.session.scalars(select(CalendarOverride).where(CalendarOverride.day == date)).one()

    @blp.response(204)
    def delete(self, day: str) -> None:
        engine().remove_calendar_override(_date(day), g.actor)


@blp.route("/departments/<code>")
class DepartmentCalendarView(MethodView):
    @blp.response(200, DepartmentCalendarOut)
    def get(self, code: str) -> dict[str, Any]:
        """The calendar a department's deadlines run on: its own (a branch) or the company's."""
        return department_calendar(code)

    @blp.arguments(DepartmentCalendarIn)
    @blp.response(200, DepartmentCalendarOut)
    def put(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        """Give the department its own time zone and regional days off; its open deadlines move (audited)."""
        engine().set_department_calendar(code, body["timezone"],
                                         [(h["day"].isoformat(), h["note"]) for h in body["holidays"]], g.actor)
        return department_calendar(code)

    @blp.response(204)
    def delete(self, code: str) -> None:
        """Back to the company calendar; its open deadlines move back."""
        engine().remove_department_calendar(code, g.actor)


def department_calendar(code: str) -> dict[str, Any]:
    from engine.errors import InvalidInput

    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise InvalidInput("Unknown department.", {"department": [f"Unknown department: {code}."]})
    own = db.session.get(DepartmentCalendar, department.id)
    if own is None:
        return {"department": code, "timezone": engine().settings.timezone, "holidays": [], "own": False,
                "updated_by": None, "updated_at": None}
    return {"department": code, "timezone": own.timezone, "own": True, "updated_by": own.updated_by,
            "updated_at": own.updated_at, "holidays": [{"day": d, "note": n} for d, n in own.holidays]}


def _date(text: str) -> dt.date:
    from engine.errors import InvalidInput

    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput("Not a date.", {"day": ["Give the date as YYYY-MM-DD."]}) from err
