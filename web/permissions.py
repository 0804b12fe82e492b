"""Who may use each page and API endpoint: the one table, enforced before every request and tested from itself.

A page rule names the roles that may open it (admin holds every role). An API rule names the client's
scope and the roles of the person the call is made for: a client bound to a user, or acting for one with
the `act_as` scope and `X-Act-As`, is held to that person's roles; a client acting for nobody is a trusted
integration limited by its scopes. Anything not in the table is refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth import authenticate, forget_person

OPERATOR, RESPONSIBLE, QMS, OWNER, EXECUTIVE, ADMIN = "operator", "responsible", "qms", "owner", "executive", "admin"
ROLES = (OPERATOR, RESPONSIBLE, QMS, OWNER, EXECUTIVE, ADMIN)
SIGNED_IN = ROLES
READERS = (OPERATOR, RESPONSIBLE, QMS, OWNER, EXECUTIVE)
WORKERS = (RESPONSIBLE, QMS)
REGISTRARS = (OPERATOR, RESPONSIBLE, QMS)
PROCESS = (QMS, OWNER)
REPORTS = (QMS, OWNER, EXECUTIVE)


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...] = ()
    scope: str | None = None
    public: bool = False
    heads: bool = False  # department heads may too, whatever their role (the page shows them their own part)


PUBLIC = Rule(public=True)


def page(*roles: str) -> Rule:
    return Rule(roles=roles)


def api(scope: str, *roles: str) -> Rule:
    return Rule(roles=roles, scope=scope)


# "METHOD rule" → who may. GET also covers HEAD.
TABLE: dict[str, Rule] = {
    # Sign-in and the parts of the site anybody reaches.
    "GET /login": PUBLIC, "POST /login": PUBLIC, "POST /logout": PUBLIC, "POST /lang/<code>": PUBLIC,
    "GET /static/<path:filename>": PUBLIC, "GET /vendor/<name>/<path:filename>": PUBLIC,
    "GET /feedback": PUBLIC, "POST /feedback": PUBLIC, "GET /rate": PUBLIC, "POST /rate": PUBLIC,
    "GET /reviews": PUBLIC,
    "GET /api/v1/openapi.json": PUBLIC, "GET /api/v1/docs": PUBLIC, "POST /api/v1/feedback": PUBLIC,
    # The client's side: the status page and the one-time survey (their own limits and tokens guard them).
    "GET /track": PUBLIC, "POST /track": PUBLIC, "POST /api/v1/track": PUBLIC,
    "GET /survey/<token>": PUBLIC, "POST /survey/<token>": PUBLIC, "POST /api/v1/surveys/<token>": PUBLIC,
    # Pages of the staff.
    "GET /": page(*SIGNED_IN),
    "GET /account/password": page(*SIGNED_IN), "POST /account/password": page(*SIGNED_IN),
    "GET /appeals/new": page(*REGISTRARS), "POST /appeals/new": page(*REGISTRARS),
    "GET /ui/counterparties": page(*REGISTRARS),
    # Everyone signed in has an inbox: a corrective task may be given to any user.
    "GET /inbox": page(*SIGNED_IN),
    "GET /tasks/<task_id>": page(*WORKERS), "POST /tasks/<task_id>": page(*WORKERS),
    "POST /tasks/<task_id>/claim": page(*WORKERS), "POST /tasks/<task_id>/reassign": page(*WORKERS),
    "GET /appeals": page(*READERS), "GET /complaints": page(*READERS),
    # The appeal card: everyone reads it; the appeal's department and QMS handle it.
    "GET /appeals/<number>": page(*READERS), "POST /appeals/<number>/resolve": page(*WORKERS),
    "POST /appeals/<number>/reminder": page(*WORKERS), "POST /appeals/<number>/complaint": page(*WORKERS),
    "GET /complaints/<number>": page(*READERS), "GET /attachments/<int:attachment_id>": page(*READERS),
    "POST /complaints/<number>/messages": page(*WORKERS),
    "GET /complaints/<number>/diagram": page(*READERS),
    # The tamper-evident history: QMS reads a complaint's chain and exports it for an auditor.
    "GET /complaints/<number>/history": page(QMS), "GET /complaints/<number>/history.json": page(QMS),
    # Process definitions and incidents: the process owner and QMS.
    "GET /processes": page(*PROCESS), "GET /processes/<key>/versions/<int:version>": page(*PROCESS),
    "GET /processes/<key>/diff": page(*PROCESS),
    "GET /processes/<key>/replay": page(OWNER),
    "GET /processes/<key>/migrate": page(OWNER), "POST /processes/<key>/migrate": page(OWNER),
    # The modeler and its drafts: the process owner only.
    "GET /processes/<key>/edit": page(OWNER), "POST /processes/<key>/draft": page(OWNER),
    "POST /processes/<key>/draft/discard": page(OWNER), "POST /processes/<key>/validate": page(OWNER),
    "POST /processes/<key>/deploy": page(OWNER),
    "GET /incidents": page(*PROCESS), "POST /incidents/<int:incident_id>/retry": page(*PROCESS),
    "POST /incidents/<int:incident_id>/resolve": page(*PROCESS),
    # QMS control: reviews, reports, KPIs and exports.
    "GET /review/weekly": Rule(roles=REPORTS, heads=True),
    "GET /reports/monthly": page(*REPORTS), "GET /reports/monthly/export": page(*REPORTS),
    "GET /reports/kpi": page(*REPORTS), "GET /reports/kpi/export": page(*REPORTS),
    "POST /reports/kpi/weights": page(QMS),
    "GET /complaints/export": page(*READERS), "GET /appeals/export": page(*READERS),
    # Stage 2 as a register: QMS and the readers of reports; QMS assigns; the assignee (checked below) reports.
    "GET /improvement": page(*REPORTS), "POST /improvement/actions/<int:action_id>/assign": page(QMS),
    "POST /improvement/actions/<int:action_id>/done": page(*SIGNED_IN),
    # Department calendars: QMS.
    "GET /calendar/departments": page(QMS), "GET /calendar/departments/<code>": page(QMS),
    "POST /calendar/departments/<code>": page(QMS),
    # Administration: the directory and API clients for admin; the business lists (responsibles, the calendar,
    # notification templates) for QMS too, who own them (REQUIREMENTS §7); the audit log for both.
    "GET /admin/": page(QMS), "GET /admin/audit": page(QMS),
    "GET /admin/users": page(ADMIN), "POST /admin/users": page(ADMIN),
    "GET /admin/users/<login>": page(ADMIN), "POST /admin/users/<login>": page(ADMIN),
    "POST /admin/users/<login>/password": page(ADMIN),
    "GET /admin/departments": page(ADMIN), "POST /admin/departments": page(ADMIN),
    "GET /admin/departments/<code>": page(ADMIN), "POST /admin/departments/<code>": page(ADMIN),
    "GET /admin/responsibles": page(QMS), "POST /admin/responsibles": page(QMS),
    "GET /admin/responsibles/<int:responsible_id>": page(QMS),
    "POST /admin/responsibles/<int:responsible_id>": page(QMS),
    "GET /admin/calendar": page(QMS), "POST /admin/calendar": page(QMS),
    "GET /admin/templates": page(QMS), "GET /admin/templates/<kind>": page(QMS),
    "POST /admin/templates/<kind>": page(QMS),
    "GET /admin/api-clients": page(ADMIN), "POST /admin/api-clients": page(ADMIN),
    "POST /admin/api-clients/<int:client_id>/revoke": page(ADMIN),
    # Personal data (152-FZ): QMS keeps the consent register, erases on request, sees retention and exports.
    "GET /privacy/consents": page(QMS), "POST /privacy/consents/<int:consent_id>/withdraw": page(QMS),
    "GET /privacy/erasure": page(QMS), "POST /privacy/erasure": page(QMS),
    "GET /privacy/retention": page(QMS), "GET /privacy/exports": page(QMS),
    # The API.
    "POST /api/v1/appeals": api("appeals:write", *REGISTRARS),
    "GET /api/v1/appeals/<number>": api("complaints:read", *READERS),
    "POST /api/v1/appeals/<number>/resolve": api("appeals:write", *WORKERS),
    "POST /api/v1/appeals/<number>/reminder": api("appeals:write", *WORKERS),
    "POST /api/v1/appeals/<number>/complaint": api("appeals:write", *WORKERS),
    "GET /api/v1/complaints/<number>": api("complaints:read", *READERS),
    "GET /api/v1/complaints/<number>/history": api("complaints:read", *READERS),
    "GET /api/v1/complaints/<number>/messages": api("complaints:read", *READERS),
    "POST /api/v1/complaints/<number>/messages": api("messages:write", *WORKERS),
    "GET /api/v1/tasks": api("tasks:read", *WORKERS),
    "GET /api/v1/tasks/<task_id>": api("tasks:read", *WORKERS),
    "POST /api/v1/tasks/<task_id>/claim": api("tasks:write", *WORKERS),
    "POST /api/v1/tasks/<task_id>/assign": api("tasks:write", *WORKERS),
    "POST /api/v1/tasks/<task_id>/complete": api("tasks:write", *WORKERS),
    "GET /api/v1/calendar/deadlines": api("complaints:read", *READERS),
    "GET /api/v1/calendar/overrides": api("complaints:read", *READERS),
    "PUT /api/v1/calendar/overrides/<day>": api("calendar:write", QMS),
    "DELETE /api/v1/calendar/overrides/<day>": api("calendar:write", QMS),
    "GET /api/v1/calendar/departments/<code>": api("complaints:read", *READERS),
    "PUT /api/v1/calendar/departments/<code>": api("calendar:write", QMS),
    "DELETE /api/v1/calendar/departments/<code>": api("calendar:write", QMS),
    "GET /api/v1/incidents": api("complaints:read", *PROCESS),
    "POST /api/v1/incidents/<int:incident_id>/retry": api("incidents:write", *PROCESS),
    "POST /api/v1/incidents/<int:incident_id>/resolve": api("incidents:write", *PROCESS),
    "GET /api/v1/instances/<business_key>": api("complaints:read", *READERS),
    "GET /api/v1/definitions": api("definitions:read", *PROCESS),
    "GET /api/v1/definitions/<key>/versions/<int:version>": api("definitions:read", *PROCESS),
    "POST /api/v1/definitions/<key>/validate": api("definitions:write", OWNER),
    "POST /api/v1/definitions/<key>/versions": api("definitions:write", OWNER),
    "POST /api/v1/definitions/<key>/replay": api("definitions:write", OWNER),
    "POST /api/v1/instances/migrate": api("definitions:write", OWNER),
    "GET /api/v1/templates": api("complaints:read", QMS),
    "PUT /api/v1/templates/<kind>": api("templates:write", QMS),
    "GET /api/v1/outbox": api("complaints:read", QMS),
    "GET /api/v1/complaints": api("complaints:read", *READERS),
    "GET /api/v1/reports/monthly": api("reports:read", *REPORTS),
    "GET /api/v1/reports/kpi": api("reports:read", *REPORTS),
    "GET /api/v1/reports/weekly": api("reports:read", *REPORTS),
    "GET /api/v1/privacy/consents": api("complaints:read", QMS),
    "GET /api/v1/history/verify": api("complaints:read", QMS),
    "GET /api/v1/improvement/nonconformities": api("complaints:read", *REPORTS),
    "POST /api/v1/improvement/actions/<int:action_id>/assign": api("tasks:write", QMS),
    "POST /api/v1/improvement/actions/<int:action_id>/done": api("tasks:write", *WORKERS),
}


def rule_key(method: str, rule: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {rule}"


def rule_for(method: str, rule: str) -> Rule | None:
    return TABLE.get(rule_key(method, rule))


def enforce() -> Response | None:
    """Before every request: find its rule; refuse what the table does not allow, or does not know."""
    if request.url_rule is None or request.method == "OPTIONS":
        return None  # 404 / 405 follow, or the automatic OPTIONS answer
    rule = rule_for(request.method, request.url_rule.rule)
    if rule is None:
        abort(403)
    if rule.public:
        return None
    if rule.scope is not None:
        g.actor = authenticate(rule.scope, rule.roles)
        return None
    if not current_user.is_authenticated:
        from web.ui import login_manager

        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if not any(current_user.has_role(r) for r in rule.roles) and not (rule.heads and _heads_a_department()):
        abort(403)
    return None


def _heads_a_department() -> bool:
    from web.ui.access import headed_departments

    return bool(headed_departments())


def register(app: Flask) -> None:
    app.before_request(enforce)
    app.teardown_request(forget_person)
