"""Use cases of the directory: users, departments, API clients and the responsibles of each department.

Changes made by a person (the administration pages, the command line) are audited in engine/people/administration.py.
"""
from __future__ import annotations

from engine.bpmn.runtime import Runtime
from engine.people import administration, directory
from engine.people.actor import Actor
from models import ApiClient, Department, Responsible, User

CLI = Actor("cli")


def create_user(rt: Runtime, login: str, full_name: str, password: str, roles: list[str],
                departments: list[str], email: str | None = None, telegram_chat_id: str | None = None,
                actor: Actor = CLI) -> User:
    with rt.transaction() as s:
        return administration.create_user(s, login, full_name, password, roles, departments, email,
                                          telegram_chat_id, actor.name, rt.clock(), rt.settings.password_hashing)


def update_user(rt: Runtime, login: str, full_name: str, email: str | None, telegram_chat_id: str | None,
                roles: list[str], departments: list[str], active: bool, actor: Actor) -> User:
    with rt.transaction() as s:
        return administration.update_user(s, login, full_name, email, telegram_chat_id, roles, departments, active,
                                          actor.name, rt.clock())


def reset_password(rt: Runtime, login: str, password: str, actor: Actor) -> User:
    with rt.transaction() as s:
        return administration.reset_password(s, login, password, actor.name, rt.clock(), rt.settings.password_hashing)


def create_department(rt: Runtime, code: str, name: str, head: str | None, actor: Actor) -> Department:
    with rt.transaction() as s:
        return administration.create_department(s, code, name, head, actor.name, rt.clock())


def update_department(rt: Runtime, code: str, name: str, head: str | None, actor: Actor) -> Department:
    with rt.transaction() as s:
        return administration.update_department(s, code, name, head, actor.name, rt.clock())


def save_responsible(rt: Runtime, responsible_id: int | None, department: str, position: str,
                     person_name: str | None, user_login: str | None, active: bool, actor: Actor) -> Responsible:
    with rt.transaction() as s:
        return administration.save_responsible(s, responsible_id, department, position, person_name, user_login,
                                               active, actor.name, rt.clock())


def create_api_client(rt: Runtime, name: str, scopes: list[str], user_login: str | None,
                      channels: list[str] | None = None, actor: Actor = CLI) -> tuple[ApiClient, str]:
    with rt.transaction() as s:
        return administration.create_api_client(s, name, scopes, user_login, channels or [], actor.name,
                                                rt.clock())


def revoke_api_client(rt: Runtime, name: str, actor: Actor = CLI) -> ApiClient:
    with rt.transaction() as s:
        return administration.revoke_api_client(s, name, actor.name, rt.clock())


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
        return directory.set_password(s, user_id, password, rt.settings.password_hashing)


def deactivate_user(rt: Runtime, login: str, actor: Actor = CLI) -> User:
    with rt.transaction() as s:
        return administration.deactivate_user(s, login, actor.name, rt.clock())


def set_department_head(rt: Runtime, code: str, login: str | None, actor: Actor) -> Department:
    with rt.transaction() as s:
        return directory.set_department_head(s, code, login, actor.name)
