"""Directory use cases: users, departments with their responsibles, and API clients."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.errors import InvalidInput
from engine.messages import Message
from models import CHANNELS, ROLES, ApiClient, AuditLog, Department, Responsible, User, utcnow

SCOPES = (
    "appeals:write", "complaints:read", "tasks:read", "tasks:write", "calendar:write", "incidents:write",
    "templates:write", "messages:write", "definitions:read", "definitions:write", "reports:read", "act_as",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResponsibleSpec:
    department_code: str
    department_name: str
    position: str
    person_name: str | None
    login: str | None = None


def create_user(s: Session, login: str, full_name: str, password: str, roles: list[str],
                departments: list[str], email: str | None, hashing: str) -> User:
    """`hashing` is werkzeug's method string (EngineSettings.password_hashing)."""
    problems: dict[str, list[str]] = {}
    if s.scalar(select(User.id).where(User.login == login)) is not None:
        problems["login"] = [Message("User {login} exists.", login=login)]
    if unknown := sorted(set(roles) - set(ROLES)):
        problems["roles"] = [Message("Unknown roles {names}; known: {known}.",
                                     names=", ".join(unknown), known=", ".join(ROLES))]
    found = list(s.scalars(select(Department).where(Department.code.in_(departments))))
    if missing := sorted(set(departments) - {d.code for d in found}):
        problems["departments"] = [Message("Unknown departments: {codes}.", codes=", ".join(missing))]
    if len(password) < 4:
        problems["password"] = [Message("At least {limit} characters.", limit=4)]
    if problems:
        raise InvalidInput("The user has errors.", problems)
    user = User(login=login, full_name=full_name, email=email, roles=roles, departments=found,
                password_hash=generate_password_hash(password, method=hashing))
    s.add(user)
    s.flush()
    return user


def create_api_client(s: Session, name: str, scopes: list[str], user_login: str | None,
                      channels: list[str] | None = None) -> tuple[ApiClient, str]:
    """Create a client and return it with its token, which is shown once and stored only as a hash."""
    problems: dict[str, list[str]] = {}
    if unknown_channels := sorted(set(channels or []) - set(CHANNELS)):
        problems["channels"] = [Message("Unknown channels {names}; known: {known}.", names=", ".join(unknown_channels),
                                          known=", ".join(CHANNELS))]
    if unknown := sorted(set(scopes) - set(SCOPES)):
        problems["scopes"] = [Message("Unknown scopes {names}; known: {known}.",
                                      names=", ".join(unknown), known=", ".join(SCOPES))]
    if s.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        problems["name"] = [Message("API client {name} exists.", name=name)]
    user = s.scalar(select(User).where(User.login == user_login)) if user_login else None
    if user_login and user is None:
        problems["user"] = [Message("No user {login}.", login=user_login)]
    if problems:
        raise InvalidInput("The API client has errors.", problems)
    token = "cd_" + secrets.token_urlsafe(32)
    client = ApiClient(name=name, token_hash=hash_token(token), scopes=scopes, channels=channels or [], user=user,
                       created_at=utcnow())
    s.add(client)
    s.flush()
    return client, token


def revoke_api_client(s: Session, name: str) -> ApiClient:
    client = s.scalar(select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise InvalidInput("Unknown API client.", {"name": [Message("No API client {name}.", name=name)]})
    client.revoked_at = utcnow()
    return client


def upsert_responsible(s: Session, spec: ResponsibleSpec, is_qms: bool = False) -> Responsible:
    department = s.scalar(select(Department).where(Department.code == spec.department_code))
    if department is None:
        department = Department(code=spec.department_code, name=spec.department_name, is_qms=is_qms)
        s.add(department)
        s.flush()
    responsible = s.scalar(select(Responsible).where(Responsible.department_id == department.id,
                                                     Responsible.position == spec.position))
    if responsible is None:
        responsible = Responsible(department=department, position=spec.position)
        s.add(responsible)
    responsible.person_name = spec.person_name
    if spec.login:
        responsible.user = s.scalar(select(User).where(User.login == spec.login))
    s.flush()
    return responsible


MIN_PASSWORD = 8


def end_sessions(user: User) -> None:
    """Every session signed in before now stops working, copied cookies included."""
    user.session_epoch = (user.session_epoch or 0) + 1


def set_password(s: Session, user_id: int, password: str, hashing: str) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise InvalidInput("Unknown user.", {"user": [Message("No user {login}.", login=user_id)]})
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("The password is too short.",
                           {"password": [Message("At least {limit} characters.", limit=MIN_PASSWORD)]})
    user.password_hash = generate_password_hash(password, method=hashing)
    end_sessions(user)
    return user


def deactivate_user(s: Session, login: str) -> User:
    user = s.scalar(select(User).where(User.login == login))
    if user is None:
        raise InvalidInput("Unknown user.", {"login": [Message("No user {login}.", login=login)]})
    user.active = False
    end_sessions(user)
    return user


def set_department_head(s: Session, code: str, login: str | None, actor: str) -> Department:
    """Name the head of a department (breach notices go to `head:CODE`); None clears it. Audited."""
    department = s.scalar(select(Department).where(Department.code == code))
    user = s.scalar(select(User).where(User.login == login, User.active.is_(True))) if login else None
    problems: dict[str, list[str]] = {}
    if department is None:
        problems["department"] = [Message("Unknown department: {code}.", code=code)]
    if login and user is None:
        problems["login"] = [Message("No active user {login}.", login=login)]
    if problems or department is None:
        raise InvalidInput("The department head has errors.", problems)
    before = department.head_user_id
    department.head_user_id = user.id if user else None
    s.add(AuditLog(at=utcnow(), actor=actor, action="department_head_set",
                   data={"department": code, "before": before, "after": login}))
    s.flush()
    return department
