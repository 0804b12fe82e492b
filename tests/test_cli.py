"""The complaint-desk command: API clients, users, demo data, deployment."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from engine.people.directory import hash_token
from models import ApiClient, Complaint, Department, ProcessDefinition, Responsible, User, db
from web.app import create_app
from web.config import Config, TestingConfig


def test_create_api_client_prints_its_token_once_and_stores_a_hash(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["create-api-client", "site-form", "--scope", "appeals:write",
                                 "--user", "operator"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    client = db.session.scalars(select(ApiClient).where(ApiClient.name == "site-form")).one()
    assert client.token_hash == hash_token(token) and token not in client.token_hash
    assert client.scopes == ["appeals:write"] and client.user.login == "operator"
    again = runner.invoke(args=["create-api-client", "site-form"])
    assert again.exit_code != 0 and "exists" in again.output
    bad = runner.invoke(args=["create-api-client", "x", "--scope", "everything"])
    assert bad.exit_code != 0 and "Unknown scopes everything" in bad.output


def test_create_user_with_roles_and_departments(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["create-user", "ivanov", "--name", "Иванов И.", "--password", "s3cret",
                                 "--role", "responsible", "--department", "ОПР"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.login == "ivanov")).one()
    assert check_password_hash(user.password_hash, "s3cret") and user.password_hash != "s3cret"
    assert user.roles == ["responsible"] and [d.code for d in user.departments] == ["ОПР"]
    bad = runner.invoke(args=["create-user", "x", "--name", "X", "--password", "pass", "--role", "boss",
                              "--department", "НЕТ"])
    assert bad.exit_code != 0 and "Unknown roles boss" in bad.output and "НЕТ" in bad.output


def test_seed_demo_loads_the_responsibles_table_and_is_repeatable(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "user qms / demo" in first.output
    assert db.session.scalar(select(func.count()).select_from(Department)) == 12
    dks = db.session.scalars(select(Responsible).join(Department).where(Department.code == "ДКС")).one()
    assert (dks.position, dks.person_name, dks.user.login) == ("Администратор ИТС", "Бадыштова К.", "responsible")
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 2
    heads = {d.code: db.session.get(User, d.head_user_id) for d in db.session.scalars(select(Department))
             if d.head_user_id}
    assert {code: (u.login, bool(u.email)) for code, u in heads.items()} == {
        "ДКС": ("head_dks", True), "ОПР": ("head_opr", True), "СМК": ("qms", True)}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "demo data already present" in second.output
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 2


def test_deploy_processes_reports_the_version(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["deploy-processes"])
    assert result.exit_code == 0 and result.output.startswith("complaint version 1")
    assert db.session.scalar(select(ProcessDefinition.key)) == "complaint"


def test_set_department_head_names_and_clears_the_head(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["set-department-head", "ОМиР", "owner"])
    assert result.exit_code == 0, result.output
    omir = db.session.scalars(select(Department).where(Department.code == "ОМиР")).one()
    assert db.session.get(User, omir.head_user_id).login == "owner"
    bad = runner.invoke(args=["set-department-head", "НЕТ", "nobody"])
    assert bad.exit_code != 0 and "Unknown department: НЕТ" in bad.output and "No active user nobody" in bad.output
    cleared = runner.invoke(args=["set-department-head", "ОМиР"])
    assert cleared.exit_code == 0
    db.session.expire_all()
    assert db.session.get(Department, omir.id).head_user_id is None


def test_outside_the_tests_a_new_password_gets_full_strength_scrypt(app: Flask,
                                                                    config: type[TestingConfig]) -> None:
    """The tests hash with less work (TestingConfig); what a deployment creates must not."""
    production = create_app(type("Production", (config,), {"PASSWORD_HASHING": Config.PASSWORD_HASHING}))
    with production.app_context():
        result = production.test_cli_runner().invoke(args=[
            "create-user", "strong", "--name", "Сильный П.", "--password", "s3cret", "--role", "operator"])
        assert result.exit_code == 0, result.output
        stored = db.session.scalars(select(User.password_hash).where(User.login == "strong")).one()
    assert stored.startswith("scrypt:32768:8:1$") and check_password_hash(stored, "s3cret")
