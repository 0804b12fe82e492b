"""«Персональные данные» for QMS: the consent register, erasure on request, retention periods, export record."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.privacy.consents import PURPOSES, STATES
from engine.privacy.subjects import SubjectQuery
from models import CHANNELS
from web.queries import engine
from web.ui.access import actor
from web.ui.messages import localized_fields

bp = Blueprint("privacy", __name__)
CONSENT_FILTERS = ("q", "kind", "channel", "state", "from", "to")


def register_filters(args: Any) -> dict[str, Any]:
    """The register's filters as the engine takes them; a malformed day is ignored, like the lists' filters."""
    filters: dict[str, Any] = {k: str(args.get(k) or "").strip() for k in ("q", "kind", "channel", "state")}
    for key in ("from", "to"):
        try:
            filters[key] = dt.date.fromisoformat(str(args.get(key) or ""))
        except ValueError:
            continue
    return filters


@bp.route("/privacy/consents")
def consents() -> str:
    rows = engine().consent_register(register_filters(request.args))
    return render_template("privacy/consents.html", rows=rows, args=request.args, kinds=list(PURPOSES),
                           states=STATES, channels=CHANNELS)


@bp.route("/privacy/consents/<int:consent_id>/withdraw", methods=["POST"])
def withdraw(consent_id: int) -> Response:
    try:
        engine().withdraw_consent(consent_id, request.form.get("note", ""), actor())
    except InvalidInput as err:
        for messages in localized_fields(err.fields).values():
            for message in messages:
                flash(message, "error")
    else:
        flash(_("Отзыв согласия записан."), "ok")
    return redirect(url_for("privacy.consents", **{k: v for k, v in request.args.items() if k in CONSENT_FILTERS}))


def _query(values: dict[str, str]) -> SubjectQuery:
    return SubjectQuery(phone=values["phone"], email=values["email"], inn=values["inn"])


@bp.route("/privacy/erasure", methods=["GET"])
def erasure() -> tuple[str, int]:
    """The search (phone, e-mail or personal INN) and, once searched, what erasure would remove."""
    values = {k: str(request.args.get(k) or "").strip() for k in ("phone", "email", "inn")}
    errors: dict[str, list[str]] = {}
    preview = None
    if any(values.values()) or "search" in request.args:
        try:
            preview = engine().erasure_preview(_query(values))
        except InvalidInput as err:
            errors = localized_fields(err.fields)
    return render_template("privacy/erasure.html", values=values, errors=errors, preview=preview,
                           history=engine().erasures()), 422 if errors else 200


@bp.route("/privacy/erasure", methods=["POST"])
def erase() -> tuple[str, int]:
    values = {k: str(request.form.get(k) or "").strip() for k in ("phone", "email", "inn")}
    try:
        report = engine().erase_subject(_query(values), actor())
    except InvalidInput as err:
        return render_template("privacy/erasure.html", values=values, errors=localized_fields(err.fields),
                               preview=None, history=engine().erasures()), 422
    return render_template("privacy/erased.html", report=report), 200


@bp.route("/privacy/retention")
def retention() -> str:
    desk = engine()
    return render_template("privacy/retention.html", periods=desk.settings.retention.as_dict(),
                           cron=current_app.config["PRIVACY_RETENTION_CRON"], runs=desk.retention_runs())


@bp.route("/privacy/exports")
def exports() -> str:
    return render_template("privacy/exports.html", rows=engine().export_log())
