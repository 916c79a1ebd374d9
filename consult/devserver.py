"""`consult dev`: the whole application in one process, for trying consult out and for development.

With no CONSULT_* variables set it needs no server at all: SQLite in the data folder, kombu's
filesystem transport as the broker (see consult/jobs.py), a Celery worker and beat in threads of this
process, and outgoing mail captured as .eml files by a local SMTP sink. Whatever is configured
(CONSULT_DATABASE_URL, CONSULT_REDIS_URL, CONSULT_SMTP_URL) is used instead.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
from contextlib import ExitStack, suppress
from functools import partial
from typing import Any

import click
import uvicorn
from celery import Celery
from celery.app.utils import find_app
from celery.beat import EmbeddedService
from celery.worker import state as worker_state

from consult import demo as demo_data
from consult.app import create_app
from consult.auth.models import Role
from consult.auth.service import IssuedToken, create_staff_user
from consult.db import create_worker_engine, sync_session_factory, sync_url
from consult.jobs import WORKER_APP
from consult.mail.sink import sink_port, start_mail_sink
from consult.migrations import upgrade
from consult.settings import Settings

logger = logging.getLogger(__name__)

DEV_ADMIN_EMAIL = "admin@example.org"
WORKER_START_TIMEOUT_SECONDS = 30
WORKER_STOP_TIMEOUT_SECONDS = 15


def run(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    """Prepares the database, starts the side services and serves the API until Ctrl-C or SIGTERM."""
    check_ports(settings, host, port)
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade()
    _configure_logging()
    if demo:
        click.echo(demo_data.describe(demo_data.load(settings)))
    admin = issue_dev_admin_token(settings)

    # uvicorn handles SIGINT/SIGTERM while it serves, then re-raises the signal once it has shut
    # down. SIGTERM's default action would kill the process before the worker and the sink stop;
    # as KeyboardInterrupt it unwinds through the ExitStack below like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with ExitStack() as services:
        if settings.mail.sink:
            try:
                sink = start_mail_sink(settings.mail.smtp_url, settings.storage.mail_capture_dir)
            except (OSError, RuntimeError, ValueError) as exc:
                raise click.ClickException(
                    f"cannot start the mail sink on {settings.mail.smtp_url}: {exc}"
                ) from exc
            services.callback(sink.stop)
        # The workers' app, loaded by name as `celery -A` does (consult imports nothing from workers).
        celery_app: Celery = find_app(WORKER_APP)
        worker = EmbeddedWorker(celery_app)
        worker.start()
        services.callback(worker.stop)
        beat = EmbeddedService(
            celery_app, thread=True, schedule_filename=str(settings.storage.beat_schedule_path)
        )
        beat.start()
        services.callback(beat.stop)

        click.echo(_banner(settings, host, port, admin))
        server = uvicorn.Server(
            uvicorn.Config(partial(create_app, settings), factory=True, host=host, port=port)
        )
        # After Ctrl-C or SIGTERM uvicorn has shut down; leaving the ExitStack stops the rest.
        with suppress(KeyboardInterrupt):
            server.run()


def check_ports(settings: Settings, host: str, port: int) -> None:
    """Fails before the migrations, a new admin token and the banner when a port to listen on is
    taken, naming the option that moves it (uvicorn would otherwise fail only after all of those)."""
    listeners = [(host, port, "the API", "--port")]
    if settings.mail.sink:
        try:
            listeners.append(("127.0.0.1", sink_port(settings.mail.smtp_url), "the mail sink", "--mail-port"))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    problems = []
    for address, number, what, option in listeners:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            # create_server sets SO_REUSEADDR, as uvicorn and aiosmtpd do: a port whose last
            # connections are in TIME_WAIT is free for them, so it counts as free here too.
            with socket.create_server((address, number), family=family):
                pass
        except OSError as exc:
            reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc}"
            problems.append(f"{address}:{number} ({what}) {reason}; choose another port with {option}")
    if problems:
        raise click.ClickException("\n".join(problems))


def issue_dev_admin_token(settings: Settings) -> IssuedToken:
    """Creates the dev admin if missing and gives it a new token, so the API can be called at once."""
    engine = create_worker_engine(settings)
    try:
        with sync_session_factory(engine).begin() as session:
            return create_staff_user(
                session, DEV_ADMIN_EMAIL, Role.ADMIN, token_days=settings.app.staff_token_days
            )
    finally:
        engine.dispose()


class EmbeddedWorker:
    """A Celery worker consuming the configured queue in a thread of this process (threads pool)."""

    def __init__(self, celery_app: Celery) -> None:
        self.ready = threading.Event()
        self.queue = celery_app.conf.task_default_queue
        celery_app.finalize()
        self.controller = celery_app.WorkController(
            pool="threads",
            concurrency=2,
            ready_callback=self._on_ready,
            # One worker, one process: nothing to synchronise with other workers, and the embedded
            # filesystem transport has no broadcast exchange for these to use.
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        self.thread = threading.Thread(target=self.controller.start, name="celery-worker", daemon=True)

    def _on_ready(self, _consumer: Any) -> None:
        logger.info("celery worker ready (in-process, threads pool), consuming queue %r", self.queue)
        self.ready.set()

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(WORKER_START_TIMEOUT_SECONDS):
            raise click.ClickException(
                f"the Celery worker did not connect to the broker within {WORKER_START_TIMEOUT_SECONDS}s"
            )

    def stop(self) -> None:
        # The flag the worker's consumer loop polls for a warm shutdown (running tasks finish);
        # calling controller.stop() from this thread would race with that loop.
        worker_state.should_stop = 0
        self.thread.join(WORKER_STOP_TIMEOUT_SECONDS)
        if self.thread.is_alive():
            logger.warning("the celery worker did not stop within %ss", WORKER_STOP_TIMEOUT_SECONDS)


def _configure_logging() -> None:
    # force: Alembic's logging config (alembic.ini) has just set the root logger to WARNING.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", force=True
    )
    # aiosmtpd logs every SMTP command at INFO; the sink logs one line per captured message.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def _banner(settings: Settings, host: str, port: int, admin: IssuedToken) -> str:
    url = f"http://{host}:{port}"
    database = sync_url(settings).render_as_string(hide_password=True)
    broker = (
        f"embedded ({settings.storage.broker_dir})"
        if settings.broker.embedded
        else "Redis (CONSULT_REDIS_URL)"
    )
    mail = (
        f"captured as .eml files in {settings.storage.mail_capture_dir} (SMTP sink on {settings.mail.smtp_url})"
        if settings.mail.sink
        else "sent through CONSULT_SMTP_URL"
    )
    lines = [
        "",
        f"consult dev: API on {url}",
        f"  API              {url}/api/v1/",
        f"  API docs         {url}/schema/swagger",
        f"  health           {url}/health",
        f"  database         {database}",
        f"  broker           {broker}; worker and beat run in this process",
        f"  mail             {mail}",
        f"  admin            {admin.user.email}",
        f"  admin token      {admin.token}",
        f"  token expires    {admin.expires_at:%Y-%m-%d %H:%M} UTC",
        f'  try              curl -H "Authorization: Bearer {admin.token}" {url}/api/v1/organisations',
    ]
    if settings.app.base_url != url:
        lines.append(f"  note             links in emails point to CONSULT_BASE_URL={settings.app.base_url}")
    return "\n".join([*lines, ""])
