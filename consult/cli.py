"""The `consult` command. Each command parses its options and calls one function that does the work.

Heavy modules are imported inside the commands: importing workers.app builds the Celery app (and
the embedded broker's folders), which `consult users` or `consult db` have no use for.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from consult.auth.models import Role
from consult.errors import ConsultError
from consult.settings import get_settings, markdown_table, production_settings


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
@click.option("--demo", is_flag=True, help="Load the demo data (see `consult demo`) before starting.")
def dev(host: str, port: int, demo: bool) -> None:
    """Run API, worker, beat and mail sink in one process.

    Migrations are applied first, and a token for the dev admin is printed. Without CONSULT_*
    settings everything is embedded: SQLite and the broker in the data folder, mail captured as .eml
    files. Whatever is configured (database, Redis, SMTP relay) is used instead."""
    from consult import devserver

    devserver.run(get_settings(), host=host, port=port, demo=demo)


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
    from workers.app import celery_app

    celery_app.worker_main(["worker", "--loglevel", "INFO", *celery_args])


@main.command(context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (extra arguments go to celery).

    Beat sends the periodic tasks: run exactly one per deployment."""
    from workers.app import celery_app

    schedule = production_settings().storage.beat_schedule_path
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", "--loglevel", "INFO", "--schedule", str(schedule), *celery_args])


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
