"""Test harness: a fresh PostgreSQL database migrated with Alembic, Redis on 127.0.0.1, and the
app served by a real uvicorn process. Tests talk to it over HTTP; tables are emptied after each test."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.servers import api_command, free_port, worker_command

RUN_ID = uuid.uuid4().hex[:10]
PG_ADMIN_URL = os.environ.get("CONSULT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB = f"consult_test_{RUN_ID}"
TEST_DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{TEST_DB}"
TEST_REDIS_URL = os.environ.get("CONSULT_TEST_REDIS", "redis://127.0.0.1:6379/0")


SMTP_PORT = free_port()
IMAP_PORT, IMAPS_PORT = free_port(), free_port()

# Settings are read from the environment once; set them before any consult module is imported.
os.environ.update(
    {
        "CONSULT_DATABASE_URL": TEST_DATABASE_URL,
        "CONSULT_REDIS_URL": TEST_REDIS_URL,
        "CONSULT_CELERY_QUEUE": f"consult-test-{RUN_ID}",
        "CONSULT_SECRET_KEY": f"test-secret-{RUN_ID}-{uuid.uuid4().hex}",
        "CONSULT_MAIL_FROM": "consult@example.org",
        "CONSULT_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
        "CONSULT_SMTP_TIMEOUT": "5",
        # Short clocks so retries, the relay and reminders happen within a test.
        "CONSULT_MAIL_RETRY_BASE_SECONDS": "0.5",
        "CONSULT_MAIL_RETRY_MAX_SECONDS": "2",
        "CONSULT_MAIL_MAX_ATTEMPTS": "30",
        "CONSULT_MAIL_CLAIM_LEASE_SECONDS": "5",
        "CONSULT_OUTBOX_RELAY_SECONDS": "1",
        "CONSULT_OUTBOX_RELAY_GRACE_SECONDS": "2",
        "CONSULT_REMINDER_SCAN_SECONDS": "1",
        "CONSULT_ROUND_SCAN_SECONDS": "1",
        "CONSULT_POLL_SCAN_SECONDS": "1",
        "CONSULT_QUESTIONNAIRE_SCAN_SECONDS": "1",
        # The whole suite talks from 127.0.0.1, guesses tokens on purpose and reuses a few: limits far
        # above it (tests/test_rate_limits.py starts servers of its own with low ones).
        "CONSULT_RATE_LIMIT_LINK_PAGES": "1000000",
        "CONSULT_RATE_LIMIT_FAILED_LOOKUPS": "1000000",
        "CONSULT_RATE_LIMIT_LINK_POSTS": "1000000",
        "CONSULT_RATE_LIMIT_API": "1000000",
    }
)

from celery import Task  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from consult.auth.models import Role  # noqa: E402
from consult.auth.service import create_staff_user  # noqa: E402
from consult.db import create_worker_engine, sync_session_factory  # noqa: E402
from consult.migrations import upgrade  # noqa: E402
from consult.models import Base  # noqa: E402
from consult.settings import get_settings  # noqa: E402
from tests.inbound.imap_server import DovecotServer, dovecot_binary  # noqa: E402
from tests.smtp_server import SmtpServer  # noqa: E402
from tests.waiting import caught_up, outbox_waiting, task_runs, wait_until  # noqa: E402


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    def answers() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    wait_until(answers, f"{url} to answer", timeout)


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    upgrade()
    yield TEST_DATABASE_URL
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def db_engine(database: str):
    engine = create_worker_engine(get_settings())
    yield engine
    engine.dispose()


@pytest.fixture
def db(db_engine) -> Iterator:
    """A synchronous session on the test database, for arranging and checking rows directly."""
    session = sync_session_factory(db_engine)()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    # A test on tests/services' rolled-back session leaves nothing behind.
    leaves_rows = "database" in request.fixturenames and "db_session" not in request.fixturenames
    engine = request.getfixturevalue("db_engine") if leaves_rows else None
    yield
    if engine is None:
        return
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    # The worker's beat tasks may hold row locks while TRUNCATE asks for all tables at once; when
    # PostgreSQL picks the TRUNCATE as a deadlock victim, try again.
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def tmp_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("consult-data")


@contextmanager
def api_server(data_dir: Path, log_level: str = "warning", **env: str) -> Iterator[str]:
    """The API in its own uvicorn process, as it runs in production; ``env`` overrides settings.
    Its output goes to ``data_dir/server-<port>.log`` (access lines at ``log_level="info"``)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "CONSULT_DATA_DIR": str(data_dir), "CONSULT_BASE_URL": base_url, **env}
    with (data_dir / f"server-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            api_command(port, log_level),
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"{base_url}/health", process=process)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(database: str, tmp_data_dir: Path) -> Iterator[str]:
    with api_server(tmp_data_dir) as base_url:
        yield base_url


@pytest.fixture
def tokens(db) -> dict[Role, str]:
    """A fresh staff user and bearer token per role."""
    issued = {
        role: create_staff_user(db, f"{role.value}@example.org", role, token_days=1).token for role in Role
    }
    db.commit()
    return issued


ClientFactory = Callable[..., httpx.Client]


@pytest.fixture
def client_for(server: str, tokens: dict[Role, str]) -> Iterator[ClientFactory]:
    clients: list[httpx.Client] = []

    def make(role: Role | None = Role.ORGANISER, token: str | None = None) -> httpx.Client:
        headers = {}
        bearer = token or (tokens[role] if role else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        client = httpx.Client(base_url=server, headers=headers, timeout=30.0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(client_for: ClientFactory) -> httpx.Client:
    """An organiser's client."""
    return client_for(Role.ORGANISER)


@pytest.fixture(scope="session")
def smtp_session() -> Iterator[SmtpServer]:
    smtp = SmtpServer(SMTP_PORT)
    smtp.start()
    yield smtp
    smtp.stop()


@pytest.fixture
def smtp(smtp_session: SmtpServer) -> Iterator[SmtpServer]:
    """The real SMTP server the workers send to, emptied for each test and left running."""
    smtp_session.reset()
    if smtp_session.controller is None:
        smtp_session.start()
    yield smtp_session
    smtp_session.reset()
    if smtp_session.controller is None:
        smtp_session.start()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[DovecotServer]:
    """A real dovecot on 127.0.0.1; the IMAP tests fail (not skip) when it is not installed."""
    server = DovecotServer(IMAP_PORT, IMAPS_PORT)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class WorkerProcess:
    """`celery worker -B` as a subprocess: prefork pool, embedded beat, the test queue."""

    def __init__(self, data_dir: Path, env: dict[str, str], engine: Engine) -> None:
        self.data_dir = data_dir
        self.env = env
        self.engine = engine
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "worker.log"
        self.log_start = 0  # where this process's lines begin in the log (a restart appends)

    def log(self) -> bytes:
        """What this worker process has logged so far."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_start)
            return log.read()

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.log_start = log.tell()
        self.process = subprocess.Popen(
            worker_command(
                concurrency=2, loglevel="INFO", beat_schedule=self.data_dir / "celerybeat-schedule"
            ),
            env={**os.environ, "CONSULT_DATA_DIR": str(self.data_dir), **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log()[-3000:].decode(errors='replace')}")
            return b" ready." in self.log()

        wait_until(ready, "the worker to be ready", timeout=60)

    def settle(self, *scans: Task, timeout: float = 30.0) -> None:
        """Waits until nothing more is on its way: every task the worker had received when called has
        finished, each beat task in ``scans`` (e.g. ``scan_rounds``) has then run once from start to
        end, and no outbox row is left to send. A test asserts "no second email" after this."""
        marker = self.log_start + len(self.log())
        names = [scan.name for scan in scans]
        wait_until(
            lambda: caught_up(task_runs(self.log(), self.log_start), marker, names),
            f"the worker to finish its tasks and run {names or 'nothing more'}",
            timeout,
        )
        wait_until(lambda: outbox_waiting(self.engine) == 0, "every outbox row sent or given up", timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group: the pool children die with their parent."""
        if self.process is not None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


@pytest.fixture(scope="session")
def worker_session(
    request: pytest.FixtureRequest, db_engine: Engine, tmp_data_dir: Path, smtp_session: SmtpServer
) -> Iterator[WorkerProcess]:
    env = {}
    # The worker polls the dovecot mailbox of tests/inbound/test_imap.py. Without dovecot the other
    # worker tests still run; the IMAP tests ask for imap_server themselves and fail.
    if dovecot_binary() is not None:
        imap: DovecotServer = request.getfixturevalue("imap_server")
        env = {
            "CONSULT_IMAP_URL": imap.url("consult"),
            "CONSULT_IMAP_POLL_SECONDS": "1",
            "CONSULT_IMAP_PROCESSED_FOLDER": "Processed",
        }
    process = WorkerProcess(tmp_data_dir, env, db_engine)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def worker(worker_session: WorkerProcess, smtp: SmtpServer) -> WorkerProcess:
    """A real Celery worker (with beat) sending to the test SMTP server; restarted if a test killed it."""
    if worker_session.process is None:
        worker_session.start()
    return worker_session
