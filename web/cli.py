"""The `complaint-desk` command: Flask's commands plus setup, users, API clients and demo data."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from engine import Actor
from engine.errors import EngineError, InvalidInput
from web.queries import engine


def _fail(err: EngineError) -> None:
    details = "; ".join(f"{k}: {' '.join(v)}" for k, v in getattr(err, "fields", {}).items())
    raise click.ClickException(f"{err.message} {details}".strip())


def register(app: Flask) -> None:
    @app.cli.command("deploy-processes")
    def deploy_processes() -> None:
        """Deploy the diagrams in processes/ as a new version (nothing happens when unchanged)."""
        try:
            row = engine().deploy_processes(Actor("cli"))
        except EngineError as err:
            for problem in getattr(err, "problems", []):
                click.echo(f"  {problem}", err=True)
            _fail(err)
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
            _fail(err)
        click.echo(f"user {user.login} created")

    @app.cli.command("create-api-client")
    @click.argument("name")
    @click.option("--scope", "scopes", multiple=True, help="Limit the client; none given = every scope")
    @click.option("--user", "user_login", help="The user this client acts for")
    def create_api_client(name: str, scopes: tuple[str, ...], user_login: str | None) -> None:
        """Create an API client and print its token once (only its hash is stored)."""
        try:
            client, token = engine().create_api_client(name, list(scopes), user_login)
        except InvalidInput as err:
            _fail(err)
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
            _fail(err)
        click.echo(f"API client {name} revoked")


def _create_app() -> Flask:
    from web.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Complaint desk: the two-stage complaint process with working-time deadlines."""
