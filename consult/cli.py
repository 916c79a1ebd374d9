"""The `consult` command. Each command parses its options and calls one function that does the work.

Heavy modules are imported inside the commands, which `consult users` or `consult db` have no use
for. `consult worker` and `consult beat` run celery on the workers' app by name (consult imports
nothing from workers).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any, NoReturn

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from consult.auth.models import Role
from consult.errors import ConsultError
from consult.settings import get_settings, markdown_table, production_settings

WORKER_HEALTHCHECK_SECONDS = 30


class ConsultGroup(click.Group):
    """Turns the errors a user can cause (bad input, unreachable database) into a message and
    exit status 1 instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsultError as exc:
            raise click.ClickException(exc.detail) from exc
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(
                f"database error: {exc.orig}\n(Is the database up? `consult db upgrade` applies the migrations.)"
            ) from exc


@click.group(cls=ConsultGroup)
def main() -> None:
    """consult: stakeholder directory, events, invitations and comment rounds of a consultation."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="API port.")
@click.option(
    "--mail-port",
    type=click.IntRange(1, 65535),
    help="Capture mail with the sink on this port of 127.0.0.1 (default: CONSULT_SMTP_URL's, 8025).",
)
@click.option("--demo", is_flag=True, help="Load the demo data (see `consult demo`) before starting.")
def dev(host: str, port: int, mail_port: int | None, demo: bool) -> None:
    """Run API, worker, beat and mail sink in one process.

    Migrations are applied first, and a token for the dev admin is printed. Without CONSULT_*
    settings everything is embedded: SQLite and the broker in the data folder, mail captured as .eml
    files. Whatever is configured (database, Redis, SMTP relay) is used instead."""
    # Links in the emails must reach this server: a chosen port or host is their address too, unless
    # CONSULT_BASE_URL says otherwise (a proxy in front, say).
    os.environ.setdefault("CONSULT_BASE_URL", f"http://{host}:{port}")
    if mail_port is not None:
        # The worker's tasks read the settings from the environment, once, when they first need
        # them: the sink's address is set there before anything (devserver's imports) reads them.
        os.environ |= {"CONSULT_SMTP_URL": f"smtp://127.0.0.1:{mail_port}", "CONSULT_MAIL_SINK": "true"}
    from consult import devserver

    devserver.run(get_settings(), host=host, port=port, demo=demo)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="API port.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="API processes sharing the port (each with its own CONSULT_DB_POOL_SIZE connections).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API in production: uvicorn with WORKERS processes.

    Only the API: apply migrations with `consult db upgrade` first, and run `consult worker` and
    `consult beat` beside it. uvicorn restarts a worker process that dies."""
    import uvicorn

    production_settings()  # refused here once, not by every worker process uvicorn restarts
    # An import string, not the app: each worker process builds its own (engines, pools, loop).
    uvicorn.run(
        "consult.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker answers uvicorn's health check only once its interpreter is up; on a busy machine
        # that takes longer than uvicorn's 5 s, and workers were killed and restarted in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


@main.command("demo")
def demo_command() -> None:
    """Load the scenario's demo data (idempotent).

    The organisations, people, working group, consultation and launch event of the integration
    strategy scenario. Applies migrations first; running it again creates only what is missing."""
    from consult import demo
    from consult.migrations import upgrade

    settings = production_settings()
    upgrade()
    click.echo(demo.describe(demo.load(settings)))


@main.group()
def users() -> None:
    """Staff users and their bearer tokens."""
    from consult.audit.recording import record_changes

    record_changes()  # what these commands change is recorded as done by the system


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
def create_user(email: str, role: str) -> None:
    """Create a staff user and print a new bearer token.

    An existing user gets the given role and a new token; earlier tokens stay valid."""
    from consult.auth.service import create_staff_user
    from consult.db import create_worker_engine, sync_session_factory

    settings = production_settings()
    engine = create_worker_engine(settings)
    try:
        with sync_session_factory(engine).begin() as session:
            issued = create_staff_user(session, email, Role(role), token_days=settings.app.staff_token_days)
    finally:
        engine.dispose()
    click.echo(f"Staff user {issued.user.email} ({issued.user.role.value})")
    click.echo(f"Token (shown only now; store it safely): {issued.token}")
    click.echo(f"Expires: {issued.expires_at:%Y-%m-%d %H:%M} UTC")


@users.command("list")
def list_users() -> None:
    """Staff users and their tokens (first characters, created, last used, expiry)."""
    from consult.auth.service import staff_with_tokens
    from consult.db import create_worker_engine, sync_session_factory

    def when(moment: dt.datetime | None, none: str) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment else none

    engine = create_worker_engine(production_settings())
    try:
        with sync_session_factory(engine)() as session:
            for user in staff_with_tokens(session):
                state = "active" if user.is_active else "deactivated"
                click.echo(f"{user.email} ({user.role.value}, {state}, created {when(user.created_at, '')})")
                for token in user.tokens:
                    status = "valid"
                    if token.revoked_at:
                        status = f"revoked {when(token.revoked_at, '')}"
                    elif token.expires_at <= dt.datetime.now(dt.UTC):
                        status = "expired"
                    click.echo(
                        f"  {token.prefix or '(no prefix)'}…  {token.label or '-'}  created {when(token.created_at, '')}"
                        f"  last used {when(token.last_used_at, 'never')}  expires {when(token.expires_at, '')}  {status}"
                    )
    finally:
        engine.dispose()


@users.command("revoke")
@click.argument("email")
def revoke_user(email: str) -> None:
    """Revoke every token of a staff user."""
    from consult.auth.service import revoke_staff_tokens
    from consult.db import create_worker_engine, sync_session_factory

    engine = create_worker_engine(production_settings())
    try:
        with sync_session_factory(engine).begin() as session:
            count = revoke_staff_tokens(session, email)
    finally:
        engine.dispose()
    click.echo(f"Revoked {count} token(s) of {email}")


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@main.command(context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (extra arguments go to celery).

    For example `consult worker --concurrency 4`; `consult worker --help` shows celery's options."""
    _celery("worker", "--loglevel", "INFO", *celery_args)


@main.command(context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (extra arguments go to celery).

    Beat sends the periodic tasks: run exactly one per deployment."""
    schedule = production_settings().storage.beat_schedule_path
    schedule.parent.mkdir(parents=True, exist_ok=True)
    _celery("beat", "--loglevel", "INFO", "--schedule", str(schedule), *celery_args)


def _celery(*args: str) -> NoReturn:
    """Replace this process with celery on the workers' app, found by Celery's loader."""
    from consult.jobs import WORKER_APP

    # No shell: the arguments go to celery as given.
    os.execv(sys.executable, [sys.executable, "-m", "celery", "-A", WORKER_APP, *args])  # noqa: S606


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from consult.migrations import upgrade

    production_settings()  # refuses the dev secret key before the first production process runs
    upgrade(revision)
    click.echo(f"Database at {revision}")


@main.command("settings")
def settings_command() -> None:
    """Print the configuration table of README.md: every CONSULT_* variable, its default and meaning."""
    click.echo(markdown_table(), nl=False)
