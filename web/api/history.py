"""The history's chains checked: every instance's events against their hashes, links and head."""
from __future__ import annotations

import dataclasses
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from web.api.blueprint import Blueprint
from web.queries import engine

PREFIX = "/history"
blp = Blueprint("api_history", __name__, description="The tamper-evident history")


class BrokenLinkOut(Schema):
    instance_id = fields.Integer()
    business_key = fields.String()
    seq = fields.Integer(allow_none=True, metadata={"description": "the event's place in its instance's chain"})
    event_id = fields.Integer(allow_none=True)
    problem = fields.String(metadata={"description": "hash_mismatch, prev_mismatch, missing_events, repeated_seq, "
                                                     "head_mismatch or data_mismatch"})
    message = fields.String()


class VerifyOut(Schema):
    ok = fields.Boolean()
    instances = fields.Integer(metadata={"description": "instances checked"})
    events = fields.Integer(metadata={"description": "events checked"})
    erased = fields.Integer(metadata={"description": "instances whose data was erased (their chains still hold)"})
    broken = fields.Nested(BrokenLinkOut, allow_none=True, metadata={"description": "the first broken link"})


def report_view(report: Any) -> dict[str, Any]:
    return {"ok": report.ok, "instances": report.instances, "events": report.events, "erased": report.erased,
            "broken": dataclasses.asdict(report.broken) if report.broken else None}


@blp.route("/verify")
class Verify(MethodView):
    @blp.response(200, VerifyOut)
    def get(self) -> dict[str, Any]:
        """Check every instance's chain; the answer names the first broken link (instance, seq, event, what)."""
        return report_view(engine().verify_history())
