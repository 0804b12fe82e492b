"""Public pages for the client: the complaint's status (/track) and the one-time survey (/survey/<token>).

Opened from links in our e-mails without signing in. They change nothing that belongs to a signed-in person,
so, like the other public pages, they carry no CSRF token: a rate limit per address guards the status page,
and the survey is reached only through its unguessable, single-use token.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from engine.client.survey import Verdict
from engine.errors import InvalidInput, RateLimited, SurveyAnswered, SurveyNotFound
from models import Complaint, db
from web.ui.formatting import whole_number
from web.ui.messages import localized, localized_fields

bp = Blueprint("client_pages", __name__)

STAGES: dict[str, Any] = {
    "stage1": _l("Рассматривается: мы работаем над решением"),
    "stage2": _l("Решение передано; мы разбираем причины, чтобы это не повторилось"),
    "closed": _l("Претензия закрыта"),
}
# One message for a wrong number and a wrong contact alike: the page must not tell which it was.
NOT_FOUND = _l("Не нашли претензию с таким номером и контактом. Проверьте номер из письма и e-mail или телефон, "
               "которые вы оставляли.")
TOO_MANY = _l("Слишком много попыток с этого адреса; попробуйте через несколько минут.")


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


@bp.route("/track", methods=["GET", "POST"])
def track() -> tuple[str, int] | str:
    values = {"number": request.values.get("number", "").strip()[:40], "contact": request.form.get("contact", "")}
    if request.method == "GET":
        return render_template("public/track.html", values=values, message=None)
    try:
        found = _engine().track_complaint(values["number"], values["contact"][:200], request.remote_addr)
    except RateLimited:
        return render_template("public/track.html", values=values, message=TOO_MANY), 429
    except InvalidInput as err:
        message = "; ".join(localized(m) for messages in err.fields.values() for m in messages)
        return render_template("public/track.html", values=values, message=message), 422
    if found is None:
        return render_template("public/track.html", values=values, message=NOT_FOUND), 404
    return render_template("public/track_status.html", status=found, stage=STAGES[found.stage])


def _verdict(form: Any) -> Verdict:
    solved = {"yes": True, "no": False}.get(form.get("solved", ""))
    rating = form.get("satisfaction", "")
    return Verdict(solved=solved, satisfaction=whole_number(rating, None, 10),
                   comment=form.get("comment", ""))


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str) -> tuple[str, int] | str:
    try:
        row = _engine().survey_of(token[:100])
    except SurveyNotFound:
        abort(404)
    number = db.session.get(Complaint, row.complaint_id).number
    if row.answered_at is not None:
        return render_template("public/survey_done.html", number=number, again=True), 410
    errors: dict[str, list[Any]] = {}
    if request.method == "POST":
        try:
            _engine().answer_survey(token, _verdict(request.form), request.remote_addr)
        except SurveyAnswered:
            return render_template("public/survey_done.html", number=number, again=True), 410
        except InvalidInput as err:
            errors = localized_fields(err.fields)
        else:
            return render_template("public/survey_done.html", number=number, again=False)
    page = render_template("public/survey.html", number=number, values=request.form, errors=errors)
    return (page, 422) if errors else page
