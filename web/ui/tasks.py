"""«Мои задачи»: the inbox, claiming and reassigning, and the task forms with their guidance."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from werkzeug.wrappers import Response

from engine import NewFile
from engine.errors import EngineError, InvalidInput, StepFailed
from models import Complaint, Department, Task, User, db
from web.improvement_register import my_corrective_tasks
from web.security import local_target
from web.ui import schema_form
from web.ui.access import actor
from web.ui.formatting import local_calendar, use_department_time
from web.ui.messages import localized, localized_fields

bp = Blueprint("tasks", __name__)


def _engine() -> Any:
    return current_app.extensions["complaint_engine"]


def _tz() -> Any:
    """The zone of the page: the task's department's (a branch's) once `use_department_time` ran."""
    return local_calendar().tz


@bp.route("/inbox")
def inbox() -> str:
    groups = [d.code for d in current_user.departments]
    mine = or_(Task.assignee_id == current_user.id, and_(Task.assignee_id.is_(None), Task.candidate_group.in_(groups)))
    rows = db.session.scalars(select(Task).where(Task.status == "open", mine)
                              .order_by(Task.due_at.is_(None), Task.due_at, Task.created_at).limit(300)).all()
    complaints = {c.number: c for c in db.session.scalars(
        select(Complaint).where(Complaint.number.in_({t.business_key for t in rows})))}
    return render_template("inbox.html", tasks=rows, complaints=complaints,
                           corrective=my_corrective_tasks(current_user.id),
                           today=dt.datetime.now(local_calendar().tz).date())


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
def claim(task_id: str) -> Response:
    try:
        _engine().claim(task_id, actor())
        flash(_("Задача взята в работу."), "ok")
    except EngineError as err:
        flash(localized(err.message), "error")
    return redirect(local_target(request.form.get("next")) or url_for("tasks.inbox"))


def _candidates(row: Task) -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).where(or_(
        User.departments.any(Department.code == row.candidate_group),
        User.departments.any(Department.is_qms.is_(True)))).order_by(User.full_name)))


@bp.route("/tasks/<task_id>/reassign", methods=["POST"])
def reassign(task_id: str) -> Response:
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Укажите причину переназначения."), "error")
    else:
        try:
            _engine().assign(task_id, request.form.get("user", ""), actor(), reason)
            flash(_("Задача переназначена."), "ok")
        except InvalidInput as err:
            flash("; ".join(localized(m) for messages in err.fields.values() for m in messages), "error")
        except EngineError as err:
            flash(localized(err.message), "error")
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
def task_page(task_id: str) -> str | Response | tuple[str, int]:
    row = db.session.get(Task, task_id)
    if row is None:
        abort(404)
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == row.business_key))
    use_department_time(complaint.department.code if complaint and complaint.department else None)
    schema = _engine().form_schema(row) or {"type": "object", "properties": {}}
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and row.status == "open":
        values = request.form.to_dict()
        data = schema_form.parse(schema, request.form, _tz())
        files = {k: NewFile(*v) for k, v in schema_form.uploads(schema, request.files).items()}
        try:
            _engine().complete_task(task_id, data, actor(), files)
        except InvalidInput as err:
            errors = {schema_form.input_name(k): v for k, v in localized_fields(err.fields).items()}
        except StepFailed as err:
            errors = {"_form": [_("Шаг процесса не выполнен: ошибка в схеме. Открыт инцидент №%(id)s, СМК "
                                  "разберётся; введённое сохранено.", id=err.incident_id)]}
        except EngineError as err:
            errors = {"_form": [localized(err.message)]}
        else:
            flash(_("Шаг «%(name)s» выполнен.", name=row.name), "ok")
            return redirect(url_for("complaints.card", number=row.business_key))
    else:
        values = schema_form.values_for_display(schema, _engine().task_data(row), _tz()) if row.status == "open" \
            else {}
    departments = [(d.code, f"{d.code} — {d.name}") for d in db.session.scalars(select(Department)
                                                                                  .order_by(Department.code))]
    page = render_template("task.html", task=row, schema=schema, complaint=complaint, values=values, errors=errors,
                           fields=schema_form.fields_of(schema, {"departments": departments, "users": _users()}),
                           candidates=_candidates(row))
    return (page, 422) if errors else page


def _users() -> list[tuple[str, str]]:
    """Whom a form may name as a person who gets work (a corrective task's assignee): the active users."""
    return [(u.login, u.full_name) for u in db.session.scalars(select(User).where(User.active.is_(True))
                                                                .order_by(User.full_name))]
