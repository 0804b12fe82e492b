"""Incidents page: open and resolved incidents, retry one, or resolve it with a comment."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.errors import Conflict, InvalidInput, NotFound, StepFailed
from models import Complaint, Incident, db
from web.queries import engine
from web.ui.access import actor
from web.ui.messages import localized

bp = Blueprint("incidents", __name__)


def _render(comment_errors: dict[int, str] | None = None, status: int = 200) -> tuple[str, int]:
    show = request.values.get("status", "open")
    stmt = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(500)
    if show == "open":
        stmt = stmt.where(Incident.resolved_at.is_(None))
    incidents = list(db.session.scalars(stmt))
    complaints = set(db.session.scalars(select(Complaint.number).where(
        Complaint.number.in_({i.business_key for i in incidents if i.business_key}))))
    return render_template("incidents.html", incidents=incidents, show=show, complaints=complaints,
                           comment_errors=comment_errors or {}, typed=request.form), status


@bp.route("/incidents")
def incident_list() -> tuple[str, int]:
    return _render()


@bp.route("/incidents/<int:incident_id>/retry", methods=["POST"])
def retry(incident_id: int) -> Response:
    try:
        engine().retry_incident(incident_id, actor())
        flash(_("Повтор выполнен: инцидент №%(id)s закрыт.", id=incident_id), "ok")
    except StepFailed as err:
        flash(_("Повтор снова не удался: открыт инцидент №%(id)s.", id=err.incident_id), "error")
    except (NotFound, Conflict) as err:
        flash(_("Повтор невозможен: %(reason)s", reason=localized(err.message)), "error")
    return redirect(url_for("incidents.incident_list"))


@bp.route("/incidents/<int:incident_id>/resolve", methods=["POST"])
def resolve(incident_id: int) -> Response | tuple[str, int]:
    comment = request.form.get("comment", "")
    try:
        engine().resolve_incident(incident_id, comment, actor())
    except InvalidInput as err:
        return _render({incident_id: "; ".join(localized(m) for ms in err.fields.values() for m in ms)}, 422)
    except (NotFound, Conflict) as err:
        flash(_("Закрыть нельзя: %(reason)s", reason=localized(err.message)), "error")
        return redirect(url_for("incidents.incident_list"))
    flash(_("Инцидент №%(id)s закрыт с комментарием.", id=incident_id), "ok")
    return redirect(url_for("incidents.incident_list"))
