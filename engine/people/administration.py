"""Administration of the directory: users, departments, the responsibles table and API clients, each change audited.

Every function here writes one `AuditLog` row with the state before and after (never a password or a token),
so the administration pages and the command line leave the same trail.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.messages import Message
from engine.people import directory
from models import ROLES, ApiClient, AuditLog, Department, Responsible, User

MAX_NAME = 200


def audit(s: Session, actor: str, action: str, now: dt.datetime, data: dict[str, Any]) -> None:
    s.add(AuditLog(at=now, actor=actor, action=action, data=data))


def user_state(user: User) -> dict[str, Any]:
    return {"login": user.login, "full_name": user.full_name, "email": user.email,
            "telegram_chat_id": user.telegram_chat_id, "roles": list(user.roles or []),
            "departments": sorted(d.code for d in user.departments), "active": user.active}


def _user(s: Session, login: str) -> User:
    user = s.scalar(select(User).where(User.login == login))
    if user is None:
        raise InvalidInput("Unknown user.", {"login": [Message("No user {login}.", login=login)]})
    return user


def _departments(s: Session, codes: list[str], problems: dict[str, list[str]]) -> list[Department]:
    found = list(s.scalars(select(Department).where(Department.code.in_(codes))))
    if missing := sorted(set(codes) - {d.code for d in found}):
        problems["departments"] = [Message("Unknown departments: {codes}.", codes=", ".join(missing))]
    return found


def _check_person(full_name: str, roles: list[str], problems: dict[str, list[str]]) -> None:
    if not full_name.strip():
        problems["full_name"] = [Message("This field is required.")]
    elif len(full_name) > MAX_NAME:
        problems["full_name"] = [Message("Longer than {limit} characters.", limit=MAX_NAME)]
    if unknown := sorted(set(roles) - set(ROLES)):
        problems["roles"] = [Message("Unknown roles {names}; known: {known}.",
                                     names=", ".join(unknown), known=", ".join(ROLES))]


def create_user(s: Session, login: str, full_name: str, password: str, roles: list[str], departments: list[str],
                email: str | None, telegram_chat_id: str | None, actor: str, now: dt.datetime,
                hashing: str) -> User:
    problems: dict[str, list[str]] = {}
    if not login.strip():
        problems["login"] = [Message("This field is required.")]
    elif s.scalar(select(User.id).where(User.login == login)) is not None:
        problems["login"] = [Message("User {login} exists.", login=login)]
    _check_person(full_name, roles, problems)
    _departments(s, departments, problems)
    if problems:
        raise InvalidInput("The user has errors.", problems)
    user = directory.create_user(s, login, full_name, password, roles, departments, email or None, hashing)
    user.telegram_chat_id = telegram_chat_id or None
    s.flush()
    audit(s, actor, "user_created", now, {"login": login, "before": None, "after": user_state(user)})
    return user


def update_user(s: Session, login: str, full_name: str, email: str | None, telegram_chat_id: str | None,
                roles: list[str], departments: list[str], active: bool, actor: str, now: dt.datetime) -> User:
    """Change a user's card; deactivating ends every session they had (the session epoch is raised)."""
    user = _user(s, login)
    problems: dict[str, list[str]] = {}
    _check_person(full_name, roles, problems)
    found = _departments(s, departments, problems)
    if _last_admin(s, user) and "admin" not in roles:
        problems["roles"] = [Message("The last active administrator keeps the role.")]
    if _last_admin(s, user) and not active:
        problems["active"] = [Message("The last active administrator cannot be deactivated.")]
    if problems:
        raise InvalidInput("The user has errors.", problems)
    before = user_state(user)
    user.full_name, user.email, user.telegram_chat_id = full_name.strip(), email or None, telegram_chat_id or None
    user.roles, user.departments = [r for r in ROLES if r in roles], found
    if user.active and not active:
        directory.end_sessions(user)
    user.active = active
    s.flush()
    after = user_state(user)
    if after != before:
        audit(s, actor, "user_updated", now, {"login": login, "before": before, "after": after})
    return user


def _last_admin(s: Session, user: User) -> bool:
    """Nobody could administer the directory any more without this user (they may still hand it on first)."""
    if not user.active or "admin" not in (user.roles or []):
        return False
    admins = [u for u in s.scalars(select(User).where(User.active.is_(True))) if "admin" in (u.roles or [])]
    return [u.id for u in admins] == [user.id]


def reset_password(s: Session, login: str, password: str, actor: str, now: dt.datetime, hashing: str) -> User:
    """A new password chosen by an administrator; every session of the user ends."""
    user = directory.set_password(s, _user(s, login).id, password, hashing)
    audit(s, actor, "password_reset", now, {"login": login, "sessions_ended": True})
    return user


def deactivate_user(s: Session, login: str, actor: str, now: dt.datetime) -> User:
    found = _user(s, login)
    if _last_admin(s, found):
        raise InvalidInput("The user has errors.",
                           {"active": [Message("The last active administrator cannot be deactivated.")]})
    before = user_state(found)
    user = directory.deactivate_user(s, login)
    audit(s, actor, "user_updated", now, {"login": login, "before": before, "after": user_state(user)})
    return user


def department_state(s: Session, department: Department) -> dict[str, Any]:
    head = s.get(User, department.head_user_id) if department.head_user_id else None
    return {"code": department.code, "name": department.name, "head": head.login if head else None}


def _check_department_name(name: str, problems: dict[str, list[str]]) -> None:
    if not name.strip():
        problems["name"] = [Message("This field is required.")]
    elif len(name) > MAX_NAME:
        problems["name"] = [Message("Longer than {limit} characters.", limit=MAX_NAME)]


def _head(s: Session, login: str | None, problems: dict[str, list[str]]) -> User | None:
    if not login:
        return None
    user = s.scalar(select(User).where(User.login == login, User.active.is_(True)))
    if user is None:
        problems["head"] = [Message("No active user {login}.", login=login)]
    return user


def create_department(s: Session, code: str, name: str, head: str | None, actor: str, now: dt.datetime
                      ) -> Department:
    """A new department. Its code is fixed once made: open processes and notices name departments by code."""
    problems: dict[str, list[str]] = {}
    code = code.strip()
    if not code:
        problems["code"] = [Message("This field is required.")]
    elif len(code) > 40:
        problems["code"] = [Message("Longer than {limit} characters.", limit=40)]
    elif s.scalar(select(Department.id).where(Department.code == code)) is not None:
        problems["code"] = [Message("Department {code} exists.", code=code)]
    _check_department_name(name, problems)
    user = _head(s, head, problems)
    if problems:
        raise InvalidInput("The department has errors.", problems)
    department = Department(code=code, name=name.strip(), head_user_id=user.id if user else None)
    s.add(department)
    s.flush()
    audit(s, actor, "department_added", now, {"department": code, "before": None,
                                                "after": department_state(s, department)})
    return department


def update_department(s: Session, code: str, name: str, head: str | None, actor: str, now: dt.datetime
                      ) -> Department:
    department = s.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise InvalidInput("Unknown department.", {"department": [Message("Unknown department: {code}.", code=code)]})
    problems: dict[str, list[str]] = {}
    _check_department_name(name, problems)
    user = _head(s, head, problems)
    if problems:
        raise InvalidInput("The department has errors.", problems)
    before = department_state(s, department)
    department.name, department.head_user_id = name.strip(), user.id if user else None
    s.flush()
    after = department_state(s, department)
    if after != before:
        audit(s, actor, "department_updated", now, {"department": code, "before": before, "after": after})
    return department


def responsible_state(responsible: Responsible) -> dict[str, Any]:
    return {"department": responsible.department.code, "position": responsible.position,
            "person_name": responsible.person_name, "user": responsible.user.login if responsible.user else None,
            "active": responsible.active}


def save_responsible(s: Session, responsible_id: int | None, department: str, position: str,
                     person_name: str | None, user_login: str | None, active: bool, actor: str,
                     now: dt.datetime) -> Responsible:
    """Add a row to the responsibles table (REQUIREMENTS §7) or change one. New complaints of a department go
    to its first active responsible, so deactivating a row hands the department to the next one."""
    problems: dict[str, list[str]] = {}
    row = s.get(Responsible, responsible_id) if responsible_id is not None else None
    if responsible_id is not None and row is None:
        raise InvalidInput("Unknown responsible.",
                           {"responsible": [Message("No responsible {number}.", number=responsible_id)]})
    found = s.scalar(select(Department).where(Department.code == department))
    if found is None:
        problems["department"] = [Message("Unknown department: {code}.", code=department or "(none)")]
    if not position.strip():
        problems["position"] = [Message("This field is required.")]
    for name, value in (("position", position), ("person_name", person_name or "")):
        if len(value) > MAX_NAME:
            problems[name] = [Message("Longer than {limit} characters.", limit=MAX_NAME)]
    user = s.scalar(select(User).where(User.login == user_login)) if user_login else None
    if user_login and user is None:
        problems["user"] = [Message("No user {login}.", login=user_login)]
    if problems or found is None:
        raise InvalidInput("The responsible has errors.", problems)
    before = responsible_state(row) if row is not None else None
    if row is None:
        row = Responsible(department=found, position=position.strip())
        s.add(row)
    row.department, row.position, row.person_name = found, position.strip(), (person_name or "").strip() or None
    row.user, row.active = user, active
    s.flush()
    after = responsible_state(row)
    if after != before:
        audit(s, actor, "responsible_created" if before is None else "responsible_updated", now,
              {"responsible": row.id, "before": before, "after": after})
    return row


def create_api_client(s: Session, name: str, scopes: list[str], user_login: str | None, channels: list[str],
                      actor: str, now: dt.datetime) -> tuple[ApiClient, str]:
    if not name.strip():
        raise InvalidInput("The API client has errors.", {"name": [Message("This field is required.")]})
    client, token = directory.create_api_client(s, name.strip(), scopes, user_login, channels)
    audit(s, actor, "api_client_created", now, {"client": client.name, "before": None, "after": {
        "scopes": list(client.scopes), "channels": list(client.channels), "user": user_login or None}})
    return client, token


def revoke_api_client(s: Session, name: str, actor: str, now: dt.datetime) -> ApiClient:
    client = directory.revoke_api_client(s, name)
    audit(s, actor, "api_client_revoked", now, {"client": name, "before": {"revoked": False},
                                                "after": {"revoked": True}})
    return client
