"""Generated from web/permissions.py: every page and endpoint, tried by every role, by API clients with and
without the scope, and without credentials. Allowed calls succeed; the others get 403 (401 unauthenticated)."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import Actor, Bundle, NewFile, ProcessEngine
from engine.people.directory import SCOPES
from models import Attachment, Complaint, Task, db
from tests.conftest import complaint_input
from web.permissions import ROLES, TABLE, Rule

# ОПР has no responsible with a login in the demo data, so its new tasks wait unassigned for only-responsible.
DEPARTMENT_OF = {"responsible": ["ОПР"], "qms": ["СМК"]}


@dataclass
class World:
    """Fresh data for one call: a complaint with its open first task, an attachment, tokens."""

    engine: ProcessEngine
    number: str
    task_id: str
    attachment_id: int
    full_token: str

    @classmethod
    def make(cls, engine: ProcessEngine, full_token: str) -> World:
        scan = NewFile("акт.pdf", "application/pdf", b"%PDF-1.4 permissions")
        data = complaint_input(department="ОПР", contact_email="client@example.ru", attachments=(scan,))
        _appeal, complaint = engine.register_appeal(data, Actor("operator"))
        assert complaint is not None and complaint.number
        task = db.session.scalar(select(Task).where(Task.business_key == complaint.number, Task.status == "open"))
        attachment = db.session.scalar(select(Attachment).where(Attachment.appeal_id == complaint.appeal_id))
        assert task is not None and attachment is not None
        return cls(engine, complaint.number, task.id, attachment.id, full_token)

    def request_appeal(self) -> str:
        """A fresh appeal that is not a complaint, of ОПР (where only-responsible works), to be handled."""
        appeal, _complaint = self.engine.register_appeal(complaint_input(type="request", department="ОПР"),
                                                         Actor("operator"))
        assert appeal.number
        return appeal.number

    def corrective_task(self, assignee: str | None = None) -> int:
        """A fresh complaint at its department's report of corrective tasks; the first task's id (given to
        `assignee` when named)."""
        from tests.improvement.helpers import at_corrective_work

        number = at_corrective_work(self.engine, lambda: self.engine.register_appeal(
            complaint_input(), Actor("operator"))[1].number)
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        assert complaint is not None
        if assignee:
            self.engine.assign_corrective_task(complaint.corrective_actions[0].id, assignee, 3, Actor.system())
        return complaint.corrective_actions[0].id

    def shipped_bundle(self) -> dict[str, Any]:
        bundle = Bundle.from_directory(self.engine.settings.processes_dir)
        return {"bpmn": bundle.bpmn, "forms": bundle.forms}

    def second_version(self) -> int:
        """A second version of the complaint process (the same content deploys once, so calls may repeat)."""
        bundle = Bundle.from_directory(self.engine.settings.processes_dir)
        renamed = bundle.bpmn["complaint.bpmn"].replace('name="Претензия закрыта"', 'name="Претензия отработана"')
        return self.engine.deploy("complaint", Bundle({**bundle.bpmn, "complaint.bpmn": renamed}, bundle.forms),
                                  Actor.system()).version

    def with_department_calendar(self, code: str) -> str:
        self.engine.set_department_calendar(code, "Asia/Yekaterinburg", [], Actor.system())
        return f"/api/v1/calendar/departments/{code}"

    def kpi_weights(self) -> dict[str, str]:
        from web.ui.reports import INDICATORS

        return {"month": "2026-11", **{name: "1" for name in INDICATORS}}

    def consent(self) -> int:
        """A consent given on the site form, to withdraw."""
        from engine.intake.public import FeedbackInput
        from models import Consent

        appeal, _c, _d = self.engine.submit_feedback(FeedbackInput(
            type="gratitude", message="Спасибо", email="client@example.ru", consent_personal_data=True,
            consent_agreement=True), None)
        return db.session.scalar(select(Consent.id).where(Consent.appeal_id == appeal.id).limit(1))

    def with_override(self, day: str) -> str:
        self.engine.set_calendar_override(dt.date.fromisoformat(day), "day_off", [], "Проверка прав", Actor.system())
        return f"/api/v1/calendar/overrides/{day}"


    def new_user(self) -> str:
        login = f"someone-{next(SERIAL)}"
        self.engine.create_user(login, "Сотрудник", "demo-password", ["operator"], [])
        return login

    def responsible_id(self) -> int:
        from models import Responsible

        return db.session.scalars(select(Responsible.id).order_by(Responsible.id)).first() or 0

    def api_client_id(self) -> int:
        client, _token = self.engine.create_api_client(f"revocable-{next(SERIAL)}", ["appeals:write"], None)
        return client.id


SERIAL = itertools.count(1)
Example = Callable[[World], tuple[str, dict[str, Any]]]
TOMORROW = (dt.date.today() + dt.timedelta(days=40)).isoformat()
APPEAL = {"type": "complaint", "channel": "phone", "subject": "Права", "text": "Проверка прав", "department": "ДКС"}

# How each entry of the table is called with data that makes an allowed call succeed.
EXAMPLES: dict[str, Example] = {
    "GET /login": lambda w: ("/login", {}),
    "POST /login": lambda w: ("/login", {"data": {"login": "only-operator", "password": "demo-password"}}),
    "POST /logout": lambda w: ("/logout", {}),
    "POST /lang/<code>": lambda w: ("/lang/en", {"data": {"next": "/"}}),
    "GET /static/<path:filename>": lambda w: ("/static/app.css", {}),
    "GET /vendor/<name>/<path:filename>": lambda w: ("/vendor/swagger-ui/swagger-ui.css", {}),
    "GET /feedback": lambda w: ("/feedback", {}),
    "POST /feedback": lambda w: ("/feedback", {"data": {"type": "gratitude", "message": "Спасибо",
                                                        "consent_personal_data": "on", "consent_agreement": "on"}}),
    "GET /rate": lambda w: ("/rate", {}),
    "POST /rate": lambda w: ("/rate", {"data": {"kind": "manager", "employee": "responsible", "rating": "5"}}),
    "GET /reviews": lambda w: ("/reviews", {}),
    "GET /api/v1/openapi.json": lambda w: ("/api/v1/openapi.json", {}),
    "GET /api/v1/docs": lambda w: ("/api/v1/docs", {}),
    "POST /api/v1/feedback": lambda w: ("/api/v1/feedback", {"json": {
        "type": "gratitude", "message": "Спасибо", "consent_personal_data": True, "consent_agreement": True}}),
    "GET /track": lambda w: (f"/track?number={w.number}", {}),
    "POST /track": lambda w: ("/track", {"data": {"number": w.number, "contact": "client@example.ru"}}),
    "POST /api/v1/track": lambda w: ("/api/v1/track", {"json": {"number": w.number, "contact": "client@example.ru"}}),
    "GET /survey/<token>": lambda w: ("/survey/not-a-token", {}),
    "POST /survey/<token>": lambda w: ("/survey/not-a-token", {"data": {"solved": "true", "satisfaction": "5"}}),
    "POST /api/v1/surveys/<token>": lambda w: ("/api/v1/surveys/not-a-token", {
        "json": {"solved": True, "satisfaction": 5}}),
    "POST /complaints/<number>/messages": lambda w: (f"/complaints/{w.number}/messages", {
        "data": {"subject": "Ответ", "text": "Мы разбираемся"}}),
    "GET /api/v1/complaints/<number>/messages": lambda w: (f"/api/v1/complaints/{w.number}/messages", {}),
    "POST /api/v1/complaints/<number>/messages": lambda w: (f"/api/v1/complaints/{w.number}/messages", {
        "json": {"subject": "Ответ", "text": "Мы разбираемся"}}),
    "GET /complaints/<number>/diagram": lambda w: (f"/complaints/{w.number}/diagram", {}),
    "GET /complaints/<number>/history": lambda w: (f"/complaints/{w.number}/history", {}),
    "GET /complaints/<number>/history.json": lambda w: (f"/complaints/{w.number}/history.json", {}),
    "GET /api/v1/history/verify": lambda w: ("/api/v1/history/verify", {}),
    "GET /processes": lambda w: ("/processes", {}),
    "GET /processes/<key>/versions/<int:version>": lambda w: ("/processes/complaint/versions/1", {}),
    "GET /processes/<key>/diff": lambda w: ("/processes/complaint/diff?from=1&to=1", {}),
    "GET /processes/<key>/replay": lambda w: ("/processes/complaint/replay?version=1&limit=5", {}),
    "GET /processes/<key>/migrate": lambda w: (
        f"/processes/complaint/migrate?from=1&to={w.second_version()}&scope=list&numbers={w.number}", {}),
    "POST /processes/<key>/migrate": lambda w: ("/processes/complaint/migrate", {"data": {
        "from": "1", "to": str(w.second_version()), "instance": w.number}}),
    "GET /processes/<key>/edit": lambda w: ("/processes/complaint/edit", {}),
    "POST /processes/<key>/draft": lambda w: ("/processes/complaint/draft", {"json": w.shipped_bundle()}),
    "POST /processes/<key>/draft/discard": lambda w: ("/processes/complaint/draft/discard", {}),
    "POST /processes/<key>/validate": lambda w: ("/processes/complaint/validate", {"json": w.shipped_bundle()}),
    "POST /processes/<key>/deploy": lambda w: ("/processes/complaint/deploy", {"json": w.shipped_bundle()}),
    "GET /incidents": lambda w: ("/incidents", {}),
    "POST /incidents/<int:incident_id>/retry": lambda w: ("/incidents/999999/retry", {}),
    "POST /incidents/<int:incident_id>/resolve": lambda w: ("/incidents/999999/resolve", {"data": {"comment": "ok"}}),
    "POST /api/v1/incidents/<int:incident_id>/resolve": lambda w: ("/api/v1/incidents/999999/resolve", {
        "json": {"comment": "Исправлено"}}),
    "GET /api/v1/instances/<business_key>": lambda w: (f"/api/v1/instances/{w.number}", {}),
    "GET /api/v1/definitions": lambda w: ("/api/v1/definitions", {}),
    "GET /api/v1/definitions/<key>/versions/<int:version>": lambda w: ("/api/v1/definitions/complaint/versions/1", {}),
    "POST /api/v1/definitions/<key>/validate": lambda w: ("/api/v1/definitions/complaint/validate", {
        "json": w.shipped_bundle()}),
    "POST /api/v1/definitions/<key>/versions": lambda w: ("/api/v1/definitions/complaint/versions", {
        "json": {**w.shipped_bundle(), "comment": "Та же версия"}}),
    "POST /api/v1/definitions/<key>/replay": lambda w: ("/api/v1/definitions/complaint/replay", {
        "json": {**w.shipped_bundle(), "limit": 5}}),
    "POST /api/v1/instances/migrate": lambda w: ("/api/v1/instances/migrate", {"json": {
        "key": "complaint", "from_version": 1, "to_version": w.second_version(), "instances": [w.number],
        "dry_run": True}}),
    "GET /calendar/departments": lambda w: ("/calendar/departments", {}),
    "GET /calendar/departments/<code>": lambda w: ("/calendar/departments/ОКР", {}),
    "POST /calendar/departments/<code>": lambda w: ("/calendar/departments/ОКР", {
        "data": {"timezone": "Asia/Yekaterinburg", "holidays": ""}}),
    "GET /api/v1/calendar/departments/<code>": lambda w: ("/api/v1/calendar/departments/ОКР", {}),
    "PUT /api/v1/calendar/departments/<code>": lambda w: ("/api/v1/calendar/departments/ОКР", {
        "json": {"timezone": "Asia/Yekaterinburg", "holidays": []}}),
    "DELETE /api/v1/calendar/departments/<code>": lambda w: (w.with_department_calendar("ОКР"), {}),
    "GET /review/weekly": lambda w: ("/review/weekly?week=2026-W48", {}),
    "GET /reports/monthly": lambda w: ("/reports/monthly?month=2026-11", {}),
    "GET /reports/monthly/export": lambda w: ("/reports/monthly/export?month=2026-11&format=csv", {}),
    "GET /reports/kpi": lambda w: ("/reports/kpi?month=2026-11", {}),
    "GET /reports/kpi/export": lambda w: ("/reports/kpi/export?month=2026-11&format=xlsx", {}),
    "POST /reports/kpi/weights": lambda w: ("/reports/kpi/weights", {"data": w.kpi_weights()}),
    "GET /complaints/export": lambda w: ("/complaints/export?format=csv", {}),
    "GET /appeals/export": lambda w: ("/appeals/export?format=xlsx", {}),
    "GET /api/v1/complaints": lambda w: ("/api/v1/complaints", {}),
    "GET /api/v1/reports/monthly": lambda w: ("/api/v1/reports/monthly?month=2026-11", {}),
    "GET /api/v1/reports/kpi": lambda w: ("/api/v1/reports/kpi?month=2026-11", {}),
    "GET /api/v1/reports/weekly": lambda w: ("/api/v1/reports/weekly?week=2026-W48", {}),
    "GET /": lambda w: ("/", {}),
    "GET /account/password": lambda w: ("/account/password", {}),
    "POST /account/password": lambda w: ("/account/password", {"data": {"current": "x", "new": "", "repeat": ""}}),
    "GET /appeals/new": lambda w: ("/appeals/new", {}),
    "POST /appeals/new": lambda w: ("/appeals/new", {"data": {**APPEAL, "contact_phone": "+7 900 000-00-00",
                                                              "importance": "normal", "kind": "external"}}),
    "GET /ui/counterparties": lambda w: ("/ui/counterparties?q=РРМОО", {}),
    "GET /inbox": lambda w: ("/inbox", {}),
    "GET /tasks/<task_id>": lambda w: (f"/tasks/{w.task_id}", {}),
    "POST /tasks/<task_id>": lambda w: (f"/tasks/{w.task_id}", {"data": {"belongs_to_department": "true"}}),
    "POST /tasks/<task_id>/claim": lambda w: (f"/tasks/{w.task_id}/claim", {}),
    "POST /tasks/<task_id>/reassign": lambda w: (f"/tasks/{w.task_id}/reassign", {
        "data": {"user": "only-responsible", "reason": "Знает клиента"}}),
    "GET /appeals": lambda w: ("/appeals", {}),
    "GET /improvement": lambda w: ("/improvement?department=ДКС", {}),
    "POST /improvement/actions/<int:action_id>/assign": lambda w: (
        f"/improvement/actions/{w.corrective_task()}/assign", {"data": {"assignee": "only-operator",
                                                                       "working_days": "3"}}),
    "POST /improvement/actions/<int:action_id>/done": lambda w: (f"/improvement/actions/{w.corrective_task()}/done",
                                                                 {}),
    "GET /appeals/<number>": lambda w: (f"/appeals/{w.request_appeal()}", {}),
    "POST /appeals/<number>/resolve": lambda w: (f"/appeals/{w.request_appeal()}/resolve", {
        "data": {"resolution": "Ответили на вопрос"}}),
    "POST /appeals/<number>/reminder": lambda w: (f"/appeals/{w.request_appeal()}/reminder", {
        "data": {"remind_at": f"{TOMORROW}T10:00"}}),
    "POST /appeals/<number>/complaint": lambda w: (f"/appeals/{w.request_appeal()}/complaint", {}),
    "GET /api/v1/appeals/<number>": lambda w: (f"/api/v1/appeals/{w.request_appeal()}", {}),
    "POST /api/v1/appeals/<number>/resolve": lambda w: (f"/api/v1/appeals/{w.request_appeal()}/resolve", {
        "json": {"resolution": "Ответили на вопрос"}}),
    "POST /api/v1/appeals/<number>/reminder": lambda w: (f"/api/v1/appeals/{w.request_appeal()}/reminder", {
        "json": {"remind_at": f"{TOMORROW}T10:00:00+03:00"}}),
    "POST /api/v1/appeals/<number>/complaint": lambda w: (f"/api/v1/appeals/{w.request_appeal()}/complaint", {}),
    "GET /complaints": lambda w: ("/complaints", {}),
    "GET /complaints/<number>": lambda w: (f"/complaints/{w.number}", {}),
    "GET /attachments/<int:attachment_id>": lambda w: (f"/attachments/{w.attachment_id}", {}),
    "POST /api/v1/appeals": lambda w: ("/api/v1/appeals", {"json": {
        **APPEAL, "contact": {"phone": "+7 900 000-00-00"}, "counterparty": {"name": "ООО Проверка"}}}),
    "GET /api/v1/complaints/<number>": lambda w: (f"/api/v1/complaints/{w.number}", {}),
    "GET /api/v1/complaints/<number>/history": lambda w: (f"/api/v1/complaints/{w.number}/history", {}),
    "GET /api/v1/tasks": lambda w: ("/api/v1/tasks", {}),
    "GET /api/v1/tasks/<task_id>": lambda w: (f"/api/v1/tasks/{w.task_id}", {}),
    "POST /api/v1/tasks/<task_id>/claim": lambda w: (f"/api/v1/tasks/{w.task_id}/claim",
                                                     {"json": {"user": "only-responsible"}}),
    "POST /api/v1/tasks/<task_id>/assign": lambda w: (f"/api/v1/tasks/{w.task_id}/assign",
                                                      {"json": {"user": "only-responsible", "reason": "Знает"}}),
    "POST /api/v1/tasks/<task_id>/complete": lambda w: (f"/api/v1/tasks/{w.task_id}/complete",
                                                        {"json": {"data": {"belongs_to_department": True}}}),
    "GET /api/v1/calendar/deadlines": lambda w: ("/api/v1/calendar/deadlines?received_at=2026-11-24T10:00:00%2B03:00",
                                                 {}),
    "GET /api/v1/calendar/overrides": lambda w: ("/api/v1/calendar/overrides", {}),
    "PUT /api/v1/calendar/overrides/<day>": lambda w: (f"/api/v1/calendar/overrides/{TOMORROW}", {
        "json": {"kind": "day_off", "note": "Проверка прав"}}),
    "DELETE /api/v1/calendar/overrides/<day>": lambda w: (w.with_override(TOMORROW), {}),
    "GET /api/v1/incidents": lambda w: ("/api/v1/incidents", {}),
    "POST /api/v1/incidents/<int:incident_id>/retry": lambda w: ("/api/v1/incidents/999999/retry", {}),
    "GET /api/v1/templates": lambda w: ("/api/v1/templates", {}),
    "PUT /api/v1/templates/<kind>": lambda w: ("/api/v1/templates/ack_client", {
        "json": {"subject": "Обращение {{ number }}", "body": "Срок ответа: {{ answer_by }}"}}),
    "GET /api/v1/outbox": lambda w: ("/api/v1/outbox", {}),
    "GET /admin/": lambda w: ("/admin/", {}),
    "GET /admin/audit": lambda w: ("/admin/audit?action=user_created", {}),
    "GET /admin/users": lambda w: ("/admin/users", {}),
    "POST /admin/users": lambda w: ("/admin/users", {"data": {
        "login": f"new-{next(SERIAL)}", "full_name": "Новый сотрудник", "password": "long-password",
        "roles": "operator", "departments": "ДКС"}}),
    "GET /admin/users/<login>": lambda w: (f"/admin/users/{w.new_user()}", {}),
    "POST /admin/users/<login>": lambda w: (f"/admin/users/{w.new_user()}", {"data": {
        "full_name": "Сотрудник ДКС", "roles": ["operator", "responsible"], "departments": "ДКС", "active": "y"}}),
    "POST /admin/users/<login>/password": lambda w: (f"/admin/users/{w.new_user()}/password", {"data": {
        "new": "another-password", "repeat": "another-password"}}),
    "GET /admin/departments": lambda w: ("/admin/departments", {}),
    "POST /admin/departments": lambda w: ("/admin/departments", {"data": {
        "code": f"ОТД{next(SERIAL)}", "name": "Новый отдел", "head": ""}}),
    "GET /admin/departments/<code>": lambda w: ("/admin/departments/ДКС", {}),
    "POST /admin/departments/<code>": lambda w: ("/admin/departments/ОКР", {"data": {
        "name": "Отдел кадров и развития", "head": "only-qms"}}),
    "GET /admin/responsibles": lambda w: ("/admin/responsibles", {}),
    "POST /admin/responsibles": lambda w: ("/admin/responsibles", {"data": {
        "department": "ДКС", "position": "Заместитель ответственного", "person_name": "", "user": "",
        "active": "y"}}),
    "GET /admin/responsibles/<int:responsible_id>": lambda w: (f"/admin/responsibles/{w.responsible_id()}", {}),
    "POST /admin/responsibles/<int:responsible_id>": lambda w: (f"/admin/responsibles/{w.responsible_id()}", {
        "data": {"department": "ОдиП", "position": "Менеджер", "person_name": "Иткин В.", "user": "",
                 "active": "y"}}),
    "GET /admin/calendar": lambda w: ("/admin/calendar", {}),
    "POST /admin/calendar": lambda w: ("/admin/calendar", {"data": {
        "day": TOMORROW, "kind": "day_off", "periods": "", "note": "Проверка прав", "action": "preview"}}),
    "GET /admin/templates": lambda w: ("/admin/templates", {}),
    "GET /admin/templates/<kind>": lambda w: ("/admin/templates/ack_client", {}),
    "POST /admin/templates/<kind>": lambda w: ("/admin/templates/ack_client", {"data": {
        "subject": "Обращение {{ number }}", "body": "Срок ответа: {{ answer_by }}", "action": "save"}}),
    "GET /admin/api-clients": lambda w: ("/admin/api-clients", {}),
    "POST /admin/api-clients": lambda w: ("/admin/api-clients", {"data": {
        "name": f"site-{next(SERIAL)}", "scopes": "appeals:write", "channels": "site_form", "user": ""}}),
    "POST /admin/api-clients/<int:client_id>/revoke": lambda w: (f"/admin/api-clients/{w.api_client_id()}/revoke",
                                                                 {}),
    "GET /privacy/consents": lambda w: ("/privacy/consents?state=active&from=2026-01-01", {}),
    "POST /privacy/consents/<int:consent_id>/withdraw": lambda w: (f"/privacy/consents/{w.consent()}/withdraw", {
        "data": {"note": "Письмо клиента"}}),
    "GET /privacy/erasure": lambda w: ("/privacy/erasure?phone=%2B7 951 511-35-23", {}),
    "POST /privacy/erasure": lambda w: ("/privacy/erasure", {"data": {"email": "nobody@example.ru"}}),
    "GET /privacy/retention": lambda w: ("/privacy/retention", {}),
    "GET /privacy/exports": lambda w: ("/privacy/exports", {}),
    "GET /api/v1/privacy/consents": lambda w: ("/api/v1/privacy/consents?kind=personal_data", {}),
    "GET /api/v1/improvement/nonconformities": lambda w: ("/api/v1/improvement/nonconformities?department=ДКС", {}),
    "POST /api/v1/improvement/actions/<int:action_id>/assign": lambda w: (
        f"/api/v1/improvement/actions/{w.corrective_task()}/assign", {"json": {"assignee": "only-operator",
                                                                             "working_days": 3}}),
    "POST /api/v1/improvement/actions/<int:action_id>/done": lambda w: (
        f"/api/v1/improvement/actions/{w.corrective_task('only-responsible')}/done", {}),
}
# Allowed calls whose success is a domain answer rather than 2xx/3xx: nothing to retry, nothing to delete.
DOMAIN_ANSWERS = {"POST /api/v1/incidents/<int:incident_id>/retry": 404,
                  "POST /api/v1/incidents/<int:incident_id>/resolve": 404,
                  # A survey link is made when stage 1 closes; an unknown one is 404 — for everybody alike.
                  "GET /survey/<token>": 404, "POST /survey/<token>": 404, "POST /api/v1/surveys/<token>": 404}


def test_the_table_names_every_route_and_only_routes(app: Flask) -> None:
    routes = {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes - TABLE.keys() == set(), "routes missing from web/permissions.py"
    assert TABLE.keys() - routes == set(), "entries in web/permissions.py that name no route"
    assert EXAMPLES.keys() == TABLE.keys(), "every entry needs an example call here"


@pytest.fixture
def setup(app: Flask, engine: ProcessEngine) -> dict[str, Any]:
    app.config["WTF_CSRF_ENABLED"] = False
    for role in ROLES:
        engine.create_user(f"only-{role}", f"Только {role}", "demo-password", [role], DEPARTMENT_OF.get(role, []))
    _c, full = engine.create_api_client("all-scopes", list(SCOPES), None)
    lacking = {scope: engine.create_api_client(f"no-{scope}", [s for s in SCOPES if s != scope], None)[1]
               for scope in {r.scope for r in TABLE.values() if r.scope}}
    return {"full": full, "lacking": lacking}


ADDRESSES = (f"198.18.{i // 250}.{i % 250 + 1}" for i in itertools.count())


def _call(client: FlaskClient, key: str, world: World, headers: dict[str, str]) -> Any:
    """One call from an address of its own, so the public forms' per-address limit stays out of the way."""
    method = key.split(" ", 1)[0]
    path, kwargs = EXAMPLES[key](world)
    g.pop("_login_user", None)
    return client.open(path, method=method, headers=headers, environ_base={"REMOTE_ADDR": next(ADDRESSES)},
                       **kwargs)


def _sign_in(app: Flask, login: str) -> FlaskClient:
    client = app.test_client()
    g.pop("_login_user", None)
    answer = client.post("/login", data={"login": login, "password": "demo-password"})
    assert answer.status_code == 302, f"{login} could not sign in"
    return client


def _assert_allowed(key: str, answer: Any, who: str) -> None:
    expected = DOMAIN_ANSWERS.get(key)
    text = answer.get_data().decode("utf-8", "replace")  # exports are binary (XLSX)
    errors = re.findall(r'class="(?:field-error|flash error)"[^>]*>([^<]*)<', text)
    body = "; ".join(errors) or text[:300]
    if expected is not None:
        assert answer.status_code == expected, f"{key} as {who}: {answer.status_code} {body}"
    else:
        assert answer.status_code < 400, f"{key} as {who}: {answer.status_code} {body}"


def _assert_refused(key: str, answer: Any, who: str, status: int) -> None:
    assert answer.status_code == status, f"{key} as {who}: expected {status}, got {answer.status_code}"


PAGE_KEYS = sorted(k for k, r in TABLE.items() if r.scope is None)
API_KEYS = sorted(k for k, r in TABLE.items() if r.scope is not None)


def _allowed(rule: Rule, role: str) -> bool:
    return rule.public or role == "admin" or role in rule.roles


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_every_page_with_every_role(app: Flask, engine: ProcessEngine, setup: dict[str, Any], key: str) -> None:
    rule = TABLE[key]
    anonymous = _call(app.test_client(), key, World.make(engine, setup["full"]), {})
    if rule.public:
        _assert_allowed(key, anonymous, "anonymous")
    else:
        _assert_refused(key, anonymous, "anonymous", 401)
    for role in ROLES:
        answer = _call(_sign_in(app, f"only-{role}"), key, World.make(engine, setup["full"]), {})
        if _allowed(rule, role):
            _assert_allowed(key, answer, role)
        else:
            _assert_refused(key, answer, role, 403)


@pytest.mark.parametrize("key", API_KEYS)
def test_every_endpoint_with_every_scope_role_and_none(app: Flask, engine: ProcessEngine, setup: dict[str, Any],
                                                      key: str) -> None:
    rule = TABLE[key]
    client = app.test_client()
    _assert_refused(key, _call(client, key, World.make(engine, setup["full"]), {}), "no token", 401)
    bad = {"Authorization": "Bearer not-a-token"}
    _assert_refused(key, _call(client, key, World.make(engine, setup["full"]), bad), "a wrong token", 401)
    lacking = {"Authorization": f"Bearer {setup['lacking'][rule.scope]}"}
    _assert_refused(key, _call(client, key, World.make(engine, setup["full"]), lacking), f"no {rule.scope}", 403)
    full = {"Authorization": f"Bearer {setup['full']}"}
    _assert_allowed(key, _call(client, key, World.make(engine, setup["full"]), full), "an integration")
    for role, via in itertools.product(ROLES, ("act_as",)):
        answer = _call(client, key, World.make(engine, setup["full"]), {**full, "X-Act-As": f"only-{role}"})
        if _allowed(rule, role):
            _assert_allowed(key, answer, f"{role} ({via})")
        else:
            _assert_refused(key, answer, f"{role} ({via})", 403)
