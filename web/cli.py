"""The `complaint-desk` command: Flask's commands plus setup, users, API clients and demo data."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import select

from engine import Actor
from engine.errors import EngineError, InvalidInput
from models import User, db
from web import cli_services
from web.cli_common import fail
from web.queries import engine
from web.schema import schema_problem


def register(app: Flask) -> None:
    cli_services.register(app)
    register_backup_commands(app)
    register_history_commands(app)

    @app.cli.command("deploy-processes")
    def deploy_processes() -> None:
        """Deploy the diagrams in processes/ as a new version (nothing happens when unchanged)."""
        try:
            row = engine().deploy_processes(Actor("cli"))
        except EngineError as err:
            for problem in getattr(err, "problems", []):
                click.echo(f"  {problem}", err=True)
            fail(err)
        click.echo(f"{row.key} version {row.version} ({row.sha256[:12]})")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo departments, responsibles, users (password 'demo') and sample complaints."""
        from web.demo import seed

        for line in seed(engine()) or ["demo data already present"]:
            click.echo(line)

    @app.cli.command("create-user")
    @click.argument("login")
    @click.option("--name", required=True, help="Full name")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--role", "roles", multiple=True, help="operator, responsible, qms, owner, executive, admin")
    @click.option("--department", "departments", multiple=True, help="Department code, e.g. ДКС")
    @click.option("--email")
    def create_user(login: str, name: str, password: str, roles: tuple[str, ...],
                    departments: tuple[str, ...], email: str | None) -> None:
        """Create a user who signs in with LOGIN."""
        try:
            user = engine().create_user(login, name, password, list(roles), list(departments), email)
        except InvalidInput as err:
            fail(err)
        click.echo(f"user {user.login} created")

    @app.cli.command("set-password")
    @click.argument("login")
    @click.password_option()
    def set_password(login: str, password: str) -> None:
        """Give a user a new password; every session they had ends."""
        desk = engine()
        user = desk.session.scalar(select(User).where(User.login == login))
        if user is None:
            raise click.ClickException(f"No user {login}.")
        try:
            desk.set_password(user.id, password)
        except EngineError as err:
            fail(err)
        click.echo(f"password of {login} changed; their sessions ended")

    @app.cli.command("deactivate-user")
    @click.argument("login")
    def deactivate_user(login: str) -> None:
        """Stop a user from signing in; every session they had ends."""
        try:
            engine().deactivate_user(login)
        except EngineError as err:
            fail(err)
        click.echo(f"user {login} deactivated; their sessions ended")

    @app.cli.command("create-api-client")
    @click.argument("name")
    @click.option("--scope", "scopes", multiple=True, help="Limit the client; none given = every scope")
    @click.option("--user", "user_login", help="The user this client acts for")
    @click.option("--channel", "channels", multiple=True, help="Limit the intake channels; none given = all")
    def create_api_client(name: str, scopes: tuple[str, ...], user_login: str | None,
                          channels: tuple[str, ...]) -> None:
        """Create an API client and print its token once (only its hash is stored)."""
        try:
            client, token = engine().create_api_client(name, list(scopes), user_login, list(channels))
        except InvalidInput as err:
            fail(err)
        click.echo(f"API client {client.name}; scopes: {', '.join(client.scopes) or 'all'}")
        click.echo("token (shown once):")
        click.echo(token)

    @app.cli.command("revoke-api-client")
    @click.argument("name")
    def revoke_api_client(name: str) -> None:
        """Revoke an API client's token."""
        try:
            engine().revoke_api_client(name)
        except InvalidInput as err:
            fail(err)
        click.echo(f"API client {name} revoked")

    @app.cli.command("set-department-head")
    @click.argument("department")
    @click.argument("login", required=False)
    def set_department_head(department: str, login: str | None) -> None:
        """Name LOGIN the head of DEPARTMENT (breach notices reach them); without LOGIN, clear it."""
        try:
            engine().set_department_head(department, login, Actor("cli"))
        except InvalidInput as err:
            fail(err)
        click.echo(f"head of {department}: {login or 'none'}")


def register_backup_commands(app: Flask) -> None:
    from web.backup import BackupError, backup, restore

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(file: Path) -> None:
        """Write the whole database to FILE (SQLite: a database file; PostgreSQL: a pg_dump archive)."""
        try:
            backup(app.config["SQLALCHEMY_DATABASE_URI"], file)
        except BackupError as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"backup written to {file}")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
    @click.option("--database-url", help="Restore into this database instead of the configured one.")
    @click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
    def restore_command(file: Path, database_url: str | None, yes: bool) -> None:
        """Replace the whole database with the backup in FILE; stop the app and schedulers first."""
        target = database_url or app.config["SQLALCHEMY_DATABASE_URI"]
        if not yes:
            click.confirm(f"Replace everything in {target.split('@')[-1]} with {file}?", abort=True)
        db.engine.dispose()
        try:
            restore(target, file)
        except BackupError as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"restored from {file}")
        db.engine.dispose()
        if problem := schema_problem(app, target):
            click.echo(f"note: {problem} before starting the app")


def register_history_commands(app: Flask) -> None:
    import json

    @app.cli.command("verify-history")
    @click.option("--file", "file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="Check this exported complaint history instead of the database (nothing else is read).")
    def verify_history(file: Path | None) -> None:
        """Check the history's hash chains and name the first broken link; exit status 1 when one is broken."""
        if file is None:
            report = engine().verify_history()
        else:
            try:
                document = json.loads(file.read_text("utf-8"))
            except (UnicodeDecodeError, ValueError) as err:
                raise click.ClickException(f"{file} is not a JSON file: {err}") from err
            try:
                report = engine().verify_history_export(document)
            except InvalidInput as err:
                fail(err)
        if report.ok:
            click.echo(f"OK: {report.instances} instances, {report.events} events checked "
                       f"({report.erased} with erased data); every link holds")
            return
        b = report.broken
        click.echo(f"BROKEN: instance {b.instance_id} ({b.business_key}), seq {b.seq}, event {b.event_id}: "
                   f"{b.problem}: {b.message}")
        raise SystemExit(1)


def _create_app() -> Flask:
    from web.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Complaint desk: the two-stage complaint process with working-time deadlines."""
