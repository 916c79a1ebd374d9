"""Fan out 5,000 invitations through the real API and Celery worker to an SMTP sink on 127.0.0.1,
and print messages per second from the API call to the last message accepted, next to two
reference rates for the same messages: one reused aiosmtplib connection (the ceiling here) and a
new connection per message (how most mailers send).

    .venv/bin/python bench/invitations_fanout.py [--count 5000]

Needs PostgreSQL and Redis on 127.0.0.1 (as the tests do); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = f"consult_bench_{RUN}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SMTP_PORT = free_port()
os.environ.update(
    {
        "CONSULT_DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}",
        "CONSULT_REDIS_URL": os.environ.get("CONSULT_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
        "CONSULT_CELERY_QUEUE": f"consult-bench-{RUN}",
        "CONSULT_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    }
)

import aiosmtplib  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from consult.auth.models import Role  # noqa: E402
from consult.auth.service import create_staff_user  # noqa: E402
from consult.db import create_worker_engine, sync_session_factory  # noqa: E402
from consult.directory.models import Person  # noqa: E402
from consult.migrations import upgrade  # noqa: E402
from consult.settings import get_settings  # noqa: E402


class CountingSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str, bytes]] = []
        self.last_at = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages.append((envelope.mail_from, envelope.rcpt_tos[0], envelope.original_content))
            self.last_at = time.perf_counter()
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


async def resend_reused(messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=SMTP_PORT, start_tls=False)
    await smtp.connect()
    for sender, rcpt, raw in messages:
        await smtp.sendmail(sender, [rcpt], raw)
    await smtp.quit()
    return len(messages) / (time.perf_counter() - started)


async def resend_new_connections(messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    for sender, rcpt, raw in messages:
        await aiosmtplib.send(
            raw, sender=sender, recipients=[rcpt], hostname="127.0.0.1", port=SMTP_PORT, start_tls=False
        )
    return len(messages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    args = parser.parse_args()

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    processes: list[subprocess.Popen[bytes]] = []
    engine = None
    try:
        upgrade()
        engine = create_worker_engine(get_settings())
        with sync_session_factory(engine)() as session:
            token = create_staff_user(session, "bench@example.org", Role.ORGANISER, token_days=1).token
            people = [
                Person(full_name=f"Participant {i}", email=f"p{i}@example.org", timezone="Europe/Vienna")
                for i in range(args.count)
            ]
            session.add_all(people)
            session.commit()
            person_ids = [str(p.id) for p in people]

        with TemporaryDirectory() as data_dir:
            env = {**os.environ, "CONSULT_DATA_DIR": data_dir}
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "consult.app:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                )
            )
            worker_log = Path(data_dir) / "worker.log"
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "workers.app:celery_app",
                        "worker",
                        "--pool",
                        "prefork",
                        "--concurrency",
                        str(args.concurrency),
                        "--loglevel",
                        "WARNING",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    env=env,
                    stdout=worker_log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/health")
            time.sleep(3)  # let the worker pool start
            client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300)
            consultation = client.post("/api/v1/consultations", json={"title": "Bench"}).json()
            event = client.post(
                "/api/v1/events",
                json={
                    "consultation_id": consultation["id"],
                    "kind": "round_table",
                    "format": "online",
                    "title": "Virtual round table on key concepts of integration",
                    "timezone": "Asia/Baku",
                    "starts_at": "2030-03-10T10:00:00",
                    "ends_at": "2030-03-10T12:00:00",
                    "online_url": "https://meet.example.org/rt",
                    "agenda": [
                        {"starts_at": "2030-03-10T10:00:00", "title": "Welcome"},
                        {"starts_at": "2030-03-10T10:30:00", "title": "Access to employment"},
                    ],
                },
            ).json()

            started = time.perf_counter()
            response = client.post(
                f"/api/v1/events/{event['id']}/invitations", json={"person_ids": person_ids}
            )
            api_seconds = time.perf_counter() - started
            assert response.status_code == 202, response.text
            deadline = time.monotonic() + 600
            while sink.count() < args.count and time.monotonic() < deadline:
                time.sleep(0.05)
            if sink.count() < args.count:
                raise SystemExit(f"only {sink.count()} of {args.count} arrived; see {worker_log}")
            fanout_rate = args.count / (sink.last_at - started)

        messages = list(sink.messages)
        size = sum(len(m[2]) for m in messages) / len(messages)
        reused = asyncio.run(resend_reused(messages))
        fresh = asyncio.run(resend_new_connections(messages))
        print(
            f"messages: {args.count}, average size {size / 1024:.1f} KB, worker processes: {args.concurrency}"
        )
        print(f"API call (create invitations + outbox rows): {api_seconds:.2f} s")
        print(f"consult fan-out, API call to last message accepted: {fanout_rate:8.0f} msg/s")
        print(f"reference: one reused aiosmtplib connection:       {reused:8.0f} msg/s (ceiling)")
        print(f"reference: a new connection per message:           {fresh:8.0f} msg/s")
        print(f"ratio consult / reused connection: {fanout_rate / reused:.2f} (target >= 0.50)")
        print(f"ratio consult / new connection per message: {fanout_rate / fresh:.2f}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        controller.stop()
        if engine is not None:
            engine.dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
