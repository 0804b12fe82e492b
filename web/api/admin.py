"""QMS administration over the API: notification templates and the outbox."""
from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from sqlalchemy import select

from engine.notify.notifications import DEFAULTS, template
from models import Outbox, db
from web.api.blueprint import Blueprint
from web.api.schemas import OutboxOut, OutboxQuery, TemplateIn, TemplateOut
from web.queries import engine

PREFIX = ""
blp = Blueprint("api_admin", __name__, description="Notification templates and the outbox")


@blp.route("/templates")
class Templates(MethodView):
    @blp.response(200, TemplateOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every notification's subject and body (Jinja; the defaults until QMS edits them)."""
        return [{"kind": kind, **dict(zip(("subject", "body"), template(db.session, kind), strict=True))}
                for kind in DEFAULTS]


@blp.route("/templates/<kind>")
class TemplateItem(MethodView):
    @blp.arguments(TemplateIn)
    @blp.response(200, TemplateOut)
    def put(self, body: dict[str, Any], kind: str) -> dict[str, Any]:
        engine().set_template(kind, body["subject"], body["body"], g.actor)
        return {"kind": kind, "subject": body["subject"], "body": body["body"]}


@blp.route("/outbox")
class OutboxList(MethodView):
    @blp.arguments(OutboxQuery, location="query")
    @blp.response(200, OutboxOut(many=True))
    def get(self, query: dict[str, Any]) -> list[Outbox]:
        """Notifications newest first; filter by status (pending, sending, sent, failed) or complaint."""
        stmt = select(Outbox).order_by(Outbox.id.desc()).limit(500)
        if query.get("status"):
            stmt = stmt.where(Outbox.status == query["status"])
        if query.get("complaint"):
            stmt = stmt.where(Outbox.business_key == query["complaint"])
        return list(db.session.scalars(stmt))
