"""The commands that run the desk's processes: the server with its scheduler, the scheduler alone, mail intake,
the outbox, the timers by hand and the deadline plan of a moment."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from engine.errors import InvalidInput
from models import ClientMessage
from web.cli_common import fail
from web.queries import engine
from web.schema import schema_problem


def require_current_schema(app: Flask) -> None:
    """Refuse to start on a database whose schema is not this version's (see `web.schema`)."""
    if problem := schema_problem(app):
        raise click.ClickException(f"Not starting: {problem}.")


def register(app: Flask) -> None:
    import datetime as dt
    import signal
    import threading

    from web.process_memory import settle_after_start
    from web.scheduling import build_scheduler

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    def serve(host: str, port: int) -> None:
        """Serve the app with the timer scheduler in the same process (the single-process default)."""
        from werkzeug.serving import run_simple

        require_current_schema(app)
        scheduler = build_scheduler(app)
        settle_after_start()
        scheduler.start()
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            scheduler.shutdown()

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run only the timer scheduler (when the web runs in several workers). Stop with Ctrl-C."""
        require_current_schema(app)
        scheduler = build_scheduler(app)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        settle_after_start()
        scheduler.start()
        click.echo("timer scheduler running; Ctrl-C stops it")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.shutdown()

    @app.cli.command("ingest-mail")
    @click.option("--maildir", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--imap-host")
    @click.option("--imap-port", default=993, show_default=True)
    @click.option("--imap-user")
    @click.option("--imap-password", envvar="IMAP_PASSWORD")
    @click.option("--imap-folder", default="INBOX", show_default=True)
    @click.option("--imap-ssl/--no-imap-ssl", default=True, show_default=True)
    @click.option("--type", "appeal_type", default="complaint", show_default=True)
    @click.option("--department", help="Department code for the appeals; default QMS")
    def ingest_mail(maildir: Path | None, imap_host: str | None, imap_port: int, imap_user: str | None,
                    imap_password: str | None, imap_folder: str, imap_ssl: bool, appeal_type: str,
                    department: str | None) -> None:
        """Create appeals from unread mail; already ingested messages (same Message-ID) are skipped."""
        from web.mailboxes import read_imap, read_maildir

        name = str(maildir) if maildir else f"{imap_user}@{imap_host}/{imap_folder}"

        def ingest(raw: bytes) -> str | None:
            result = engine().ingest_mail(raw, name, appeal_type, department)
            if isinstance(result, ClientMessage):
                return f"reply to {result.complaint.number}"
            return result.number if result else None

        if maildir is not None:
            report = read_maildir(maildir, ingest)
        elif imap_host and imap_user:
            report = read_imap(imap_host, imap_port, imap_user, imap_password or "", imap_folder, ingest, imap_ssl)
        else:
            raise click.UsageError("give --maildir PATH or --imap-host with --imap-user")
        for number in report.created:
            click.echo(f"created {number}")
        click.echo(f"{len(report.created)} created, {report.skipped} already ingested, {len(report.failed)} failed")
        for line in report.failed:
            click.echo(f"  failed {line}", err=True)
        if report.failed:
            raise SystemExit(1)

    @app.cli.command("deliver-outbox")
    def deliver_outbox() -> None:
        """Send what is due in the outbox once and print the counts."""
        counts = engine().deliver_outbox()
        click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))

    @app.cli.command("fire-timers")
    def fire_timers() -> None:
        """Fire every due timer once and print the complaints that moved."""
        for key in engine().fire_due_timers():
            click.echo(key)

    @app.cli.command("deadlines")
    @click.option("--received-at", required=True, help="ISO date-time with offset, e.g. 2026-11-24T10:00+03:00")
    @click.option("--department", help="On this department's calendar (a branch's zone and holidays)")
    def deadlines_command(received_at: str, department: str | None) -> None:
        """Print every step's deadline for a registration at that moment (what-if)."""
        try:
            moment = dt.datetime.fromisoformat(received_at)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--received-at") from err
        if moment.tzinfo is None:
            raise click.BadParameter("give the UTC offset, e.g. +03:00", param_hint="--received-at")
        try:
            answer = engine().what_if(moment, department)
        except InvalidInput as err:
            fail(err)
        tz = engine().calendars.of_department(department).tz

        def local(text: str) -> str:
            return dt.datetime.fromisoformat(text).astimezone(tz).strftime("%d.%m.%Y %H:%M")

        click.echo(f"registered {local(answer['received_at'])} ({answer['timezone']})")
        for step in answer["steps"]:
            click.echo(f"  {step['code']}  {local(step['due_at'])}  {step['name']}")
        if answer["goal_at"]:
            click.echo(f"  goal  {local(answer['goal_at'])}  закрыть за 5 рабочих дней")
        for year in answer["provisional_years"]:
            click.echo(f"  warning: {year} has no transfer decree in the calendar data yet; dates are provisional")
