"""Administration: the settings — the working calendar, notification templates and API clients."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from engine.errors import InvalidInput
from engine.notify.notifications import DEFAULTS, template
from engine.people.directory import SCOPES
from engine.time.deadlines import KINDS
from models import CHANNELS, ApiClient, CalendarOverride, db
from web.queries import engine
from web.ui.access import actor
from web.ui.admin import (
    KIND_NAMES,
    REQUIRED,
    MultiCheckbox,
    _audit,
    _department_choices,
    _engine_errors,
    _render,
    _status,
    _users,
    bp,
)
from web.ui.formatting import label
from web.ui.messages import localized_fields


class OverrideForm(FlaskForm):
    day = DateField(_l("Дата"), validators=[DataRequired(message=_l("Укажите дату."))])
    kind = SelectField(_l("Вид дня"), choices=[], validate_choice=False)
    periods = StringField(_l("Рабочие периоды (например, 09:00-13:00, 14:00-17:00)"), validators=[Length(max=200)])
    note = StringField(_l("Примечание"), validators=[Length(max=300)])


class TemplateForm(FlaskForm):
    subject = StringField(_l("Тема"), validators=[DataRequired(message=REQUIRED), Length(max=300)])
    body = TextAreaField(_l("Текст"), validators=[DataRequired(message=REQUIRED), Length(max=20000)])


class ApiClientForm(FlaskForm):
    name = StringField(_l("Название"), validators=[DataRequired(message=REQUIRED), Length(max=120)])
    scopes = MultiCheckbox(_l("Права (ни одного — все)"))
    channels = MultiCheckbox(_l("Каналы (ни одного — все)"))
    user = SelectField(_l("Действует от имени пользователя"), choices=[], validate_choice=False)




PERIOD = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*$")


def _periods(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """`09:00-13:00, 14:00-17:00` → [("09:00", "13:00"), ("14:00", "17:00")], and what could not be read."""
    pairs, bad = [], []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text or ""))):
        match = PERIOD.match(part)
        if match is None:
            bad.append(part)
        else:
            pairs.append((match.group(1).zfill(5), match.group(2).zfill(5)))
    return pairs, bad


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> tuple[str, int]:
    """Preview shows the open deadlines the change would move, nothing saved; saving shows what moved."""
    form = OverrideForm()
    form.kind.choices = [(k, KIND_NAMES[k]) for k in KINDS]
    moves: list[dict[str, Any]] | None = None
    outcome = None
    action = request.form.get("action", "preview")
    if form.validate_on_submit():
        periods, bad = _periods(form.periods.data or "")
        if bad:
            form.periods.errors = [_("Не читается: %(part)s; укажите, например, 09:00-13:00.", part=", ".join(bad))]
        else:
            moves, outcome = _calendar_action(form, action, periods)
    rows = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day.desc())).all()
    return _render("calendar", _status(form), form=form, rows=rows, moves=moves, outcome=outcome, kinds=KIND_NAMES,
                   what_if=_what_if(), departments=_department_choices(),
                   audit=_audit("calendar_override_set", "calendar_override_removed"))


def _what_if() -> dict[str, Any]:
    """Every step's deadline for a registration at the moment asked (on a department's calendar when chosen): what
    `complaint-desk deadlines` prints."""
    typed = {"received_at": request.args.get("received_at", ""), "department": request.args.get("department", "")}
    if not typed["received_at"]:
        return {"typed": typed}
    desk = engine()
    try:
        naive = dt.datetime.fromisoformat(typed["received_at"])
    except ValueError:
        return {"typed": typed, "error": _("Укажите дату и время.")}
    zone = desk.calendars.of_department(typed["department"] or None).tz
    try:
        answer = desk.what_if(naive.replace(tzinfo=zone) if naive.tzinfo is None else naive,
                              typed["department"] or None)
    except InvalidInput as err:
        return {"typed": typed, "error": " ".join(m for ms in localized_fields(err.fields).values() for m in ms)}
    moments = {"steps": [{**s, "due_at": dt.datetime.fromisoformat(s["due_at"])} for s in answer["steps"]],
               "goal_at": dt.datetime.fromisoformat(answer["goal_at"]) if answer["goal_at"] else None}
    return {"typed": typed, "answer": {**answer, **moments}}


def _calendar_action(form: OverrideForm, action: str, periods: list[tuple[str, str]]
                     ) -> tuple[list[dict[str, Any]] | None, str | None]:
    day, remove = form.day.data, action in ("remove", "preview_remove")
    desk = engine()
    try:
        if action in ("preview", "preview_remove"):
            return desk.preview_calendar_override(day, form.kind.data, periods, form.note.data or "", actor(),
                                                  remove), action
        since = desk.runtime.clock()
        if remove:
            desk.remove_calendar_override(day, actor())
        else:
            desk.set_calendar_override(day, form.kind.data, periods, form.note.data or "", actor())
        return desk.recent_moves(since, day=day, removed=remove), "removed" if remove else "saved"
    except InvalidInput as err:
        fields = localized_fields(err.fields)
        for name, messages in fields.items():
            target = {"kind": form.kind, "day": form.day}.get(name, form.periods)
            target.errors = [*target.errors, *messages]
        return None, None


# --- notification templates -----------------------------------------------------------------------------------
@bp.route("/templates")
def templates() -> tuple[str, int]:
    rows = [(kind, *template(db.session, kind)) for kind in DEFAULTS]
    return _render("templates", rows=rows, audit=_audit("template_set"))


@bp.route("/templates/<kind>", methods=["GET", "POST"])
def template_page(kind: str) -> tuple[str, int] | Response:
    if kind not in DEFAULTS:
        abort(404)
    subject, body = template(db.session, kind)
    form = TemplateForm(data=None if request.method == "POST" else {"subject": subject, "body": body})
    preview = None
    if form.validate_on_submit():
        desk = engine()
        try:
            preview = desk.preview_template(kind, form.subject.data, form.body.data)
            if request.form.get("action") == "save":
                desk.set_template(kind, form.subject.data, form.body.data, actor())
                flash(_("Шаблон сохранён."), "ok")
                return redirect(url_for("admin.template_page", kind=kind))
        except InvalidInput as err:
            preview = None
            _engine_errors(form, err, "body")
    elif request.method == "GET":
        try:
            preview = engine().preview_template(kind, subject, body)
        except InvalidInput as err:  # a saved template that no longer renders: say so, under its field
            _engine_errors(form, err, "body")
    return _render("template", _status(form), kind=kind, form=form, preview=preview,
                   audit=_audit("template_set", key="kind", value=kind))


# --- API clients ----------------------------------------------------------------------------------------------
@bp.route("/api-clients", methods=["GET", "POST"])
def api_clients() -> tuple[str, int]:
    """The token is shown on the answer to the creating request only: it is stored as a hash, never again."""
    form = ApiClientForm()
    form.scopes.choices = [(s, s) for s in SCOPES]
    form.channels.choices = [(c, label(c)) for c in CHANNELS]
    form.user.choices = _users()
    created: tuple[ApiClient, str] | None = None
    if form.validate_on_submit():
        try:
            created = engine().create_api_client(form.name.data, form.scopes.data, form.user.data or None,
                                                 form.channels.data, actor())
        except InvalidInput as err:
            _engine_errors(form, err, "name")
        else:
            form = ApiClientForm(formdata=None)
            form.scopes.choices, form.channels.choices = [(s, s) for s in SCOPES], [(c, label(c)) for c in CHANNELS]
            form.user.choices = _users()
    rows = db.session.scalars(select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.name)).all()
    return _render("api_clients", _status(form), form=form, rows=rows, created=created,
                   audit=_audit("api_client_created", "api_client_revoked"))


@bp.route("/api-clients/<int:client_id>/revoke", methods=["POST"])
def revoke_api_client(client_id: int) -> Response:
    found = db.get_or_404(ApiClient, client_id)
    if found.revoked_at is None:
        engine().revoke_api_client(found.name, actor())
        flash(_("Доступ клиента %(name)s отозван.", name=found.name), "ok")
    return redirect(url_for("admin.api_clients"))


# --- the audit log --------------------------------------------------------------------------------------------
