"""Working-time calendar: what-if deadlines for a registration moment, and QMS's date overrides."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from models import CalendarOverride, db
from web.api.schemas import OverrideIn, OverrideOut, WhatIfOut, WhatIfQuery
from web.queries import engine

PREFIX = "/calendar"
blp = Blueprint("api_calendar", __name__, description="Working-time calendar and deadlines")


@blp.route("/deadlines")
class WhatIf(MethodView):
    @blp.arguments(WhatIfQuery, location="query")
    @blp.response(200, WhatIfOut)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Every step's deadline for a registration at `received_at` (default now), and the 5-day goal."""
        return engine().what_if(query.get("received_at") or dt.datetime.now(dt.UTC))


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


def _date(text: str) -> dt.date:
    from engine.errors import InvalidInput

    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput("Not a date.", {"day": ["Give the date as YYYY-MM-DD."]}) from err
