"""Use cases of the directory: users, API clients and the responsibles of each department."""
from __future__ import annotations

from engine.bpmn.runtime import Runtime
from engine.people import directory
from engine.people.actor import Actor
from models import ApiClient, Department, User


def create_user(rt: Runtime, login: str, full_name: str, password: str, roles: list[str],
                departments: list[str], email: str | None = None) -> User:
    with rt.transaction() as s:
        return directory.create_user(s, login, full_name, password, roles, departments, email)


def create_api_client(rt: Runtime, name: str, scopes: list[str], user_login: str | None,
                      channels: list[str] | None = None) -> tuple[ApiClient, str]:
    with rt.transaction() as s:
        return directory.create_api_client(s, name, scopes, user_login, channels)


def revoke_api_client(rt: Runtime, name: str) -> ApiClient:
    with rt.transaction() as s:
        return directory.revoke_api_client(s, name)


def upsert_responsibles(rt: Runtime, specs: list[directory.ResponsibleSpec], qms_code: str) -> None:
    with rt.transaction() as s:
        for spec in specs:
            directory.upsert_responsible(s, spec, is_qms=spec.department_code == qms_code)


def sign_out_everywhere(rt: Runtime, user_id: int) -> None:
    with rt.transaction() as s:
        user = s.get(User, user_id)
        if user is not None:
            directory.end_sessions(user)


def set_password(rt: Runtime, user_id: int, password: str) -> User:
    with rt.transaction() as s:
        return directory.set_password(s, user_id, password)


def deactivate_user(rt: Runtime, login: str) -> User:
    with rt.transaction() as s:
        return directory.deactivate_user(s, login)


def set_department_head(rt: Runtime, code: str, login: str | None, actor: Actor) -> Department:
    with rt.transaction() as s:
        return directory.set_department_head(s, code, login, actor.name)
