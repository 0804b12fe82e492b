"""Public pages without sign-in: the site feedback form, the rating widget and the published reviews.

They are meant to be embedded in the company site (an iframe), where a session cookie for CSRF often
does not survive third-party cookie rules; they change nothing that belongs to a signed-in person, so
they carry no CSRF token and are protected by a honeypot field and a rate limit per address instead.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from engine import NewFile
from engine.errors import InvalidInput, RateLimited
from engine.intake.public import FeedbackInput, ReviewInput
from models import Review, User, db
from web.ui.formatting import whole_number
from web.ui.messages import localized, localized_fields

bp = Blueprint("public", __name__)
HONEYPOT = "website"


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


def feedback_input(form: Any, files: Any) -> FeedbackInput:
    uploads = tuple(NewFile(f.filename or "file", f.mimetype or "application/octet-stream", f.read())
                    for f in files.getlist("file") if f and f.filename)
    return FeedbackInput(
        type=form.get("type", ""), message=form.get("message", ""), full_name=form.get("full_name", "").strip(),
        organisation=form.get("organisation", "").strip(), inn=form.get("inn", "").strip(),
        phone=form.get("phone", "").strip(), email=form.get("email", "").strip(),
        consent_personal_data=form.get("consent_personal_data") in ("on", "true", "1"),
        consent_agreement=form.get("consent_agreement") in ("on", "true", "1"), files=uploads)


@bp.route("/feedback", methods=["GET", "POST"])
def feedback() -> tuple[str, int] | str:
    values: dict[str, Any] = {"type": request.args.get("type", "complaint")}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        if request.form.get(HONEYPOT):
            return render_template("public/thanks.html", number=None, answer_by=None, bot=True)
        try:
            appeal, complaint, answer_by = _engine().submit_feedback(feedback_input(request.form, request.files),
                                                                     request.remote_addr)
        except InvalidInput as err:
            errors = localized_fields(err.fields)
        except RateLimited as err:
            errors = {"_form": [localized(err.message)]}
            return render_template("public/feedback.html", values=values, errors=errors), 429
        else:
            return render_template("public/thanks.html", number=appeal.number,
                                   answer_by=answer_by if complaint else None, bot=False)
    page = render_template("public/feedback.html", values=values, errors=errors,
                           consent_version=current_app.config["CONSENT_VERSION"])
    return (page, 422) if errors else page


@bp.route("/rate", methods=["GET", "POST"])
def rate() -> tuple[str, int] | str:
    kind = request.values.get("kind", "manager")
    login = request.values.get("employee", "")
    employee = db.session.scalar(select(User).where(User.login == login, User.active.is_(True))) if login else None
    values: dict[str, Any] = request.form.to_dict() if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and not request.form.get(HONEYPOT):
        rating = request.form.get("rating", "")
        try:
            _engine().submit_review(ReviewInput(
                kind=kind, rating=whole_number(rating, 0, 10) or 0, comment=request.form.get("comment", ""),
                employee=login, author_name=request.form.get("author_name", "").strip(),
                author_contact=request.form.get("author_contact", "").strip(),
                publish=request.form.get("publish") == "on",
                consent_personal_data=request.form.get("consent_personal_data") == "on"), request.remote_addr)
        except InvalidInput as err:
            errors = localized_fields(err.fields)
        except RateLimited as err:
            errors = {"_form": [localized(err.message)]}
        else:
            return render_template("public/rated.html")
    elif request.method == "POST":
        return render_template("public/rated.html")
    page = render_template("public/rate.html", kind=kind, employee=employee, login=login, values=values,
                           errors=errors)
    return (page, 422 if not any(k == "_form" for k in errors) else 429) if errors else page


@bp.route("/reviews")
def reviews() -> str:
    rows = db.session.scalars(select(Review).where(Review.publish.is_(True)).order_by(Review.created_at.desc())
                              .limit(200)).all()
    names = {u.id: u.full_name for u in db.session.scalars(select(User).where(
        User.id.in_({r.employee_id for r in rows if r.employee_id})))}
    return render_template("public/reviews.html", rows=rows, names=names)
