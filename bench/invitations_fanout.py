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
import multiprocessing
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = f"consult_bench_{RUN}"


# The repository's root, for tests.servers (how the tests start the API, started here the same way).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers import api_command, free_port, worker_command  # noqa: E402

SMTP_PORT = free_port()
os.environ.update(
    {
        "CONSULT_DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}",
        "CONSULT_REDIS_URL": os.environ.get("CONSULT_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
        "CONSULT_CELERY_QUEUE": f"consult-bench-{RUN}",
        "CONSULT_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
        # The API and the worker refuse the dev-only key.
        "CONSULT_SECRET_KEY": secrets.token_urlsafe(48),
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


class Sink:
    """An aiosmtpd server in a process of its own (so it never shares a GIL with the senders being
    measured) that keeps each message in a folder and counts them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.received = multiprocessing.Value("i", 0)
        self.last_at = multiprocessing.Value("d", 0.0)  # time.perf_counter(): CLOCK_MONOTONIC, shared
        self.stop_event = multiprocessing.Event()
        self.ready = multiprocessing.Event()
        self.process = multiprocessing.Process(target=self._serve, daemon=True)

    def _serve(self) -> None:
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:
                with sink.received.get_lock():
                    number = sink.received.value
                    (sink.folder / f"{number:06d}.eml").write_bytes(
                        f"{envelope.mail_from}\n{envelope.rcpt_tos[0]}\n".encode() + envelope.original_content
                    )
                    sink.received.value = number + 1
                    sink.last_at.value = time.perf_counter()
                return "250 OK"

        controller = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT)
        controller.start()
        self.ready.set()
        self.stop_event.wait()
        controller.stop()

    def start(self) -> None:
        self.process.start()
        self.ready.wait(10)

    def stop(self) -> None:
        self.stop_event.set()
        self.process.join(10)

    def reset(self) -> None:
        for path in self.folder.glob("*.eml"):
            path.unlink()
        with self.received.get_lock():
            self.received.value = 0

    def count(self) -> int:
        return int(self.received.value)

    def messages(self) -> list[tuple[str, str, bytes]]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            sender, recipient, raw = path.read_bytes().split(b"\n", 2)
            found.append((sender.decode(), recipient.decode(), raw))
        return found


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
    mail_folder = TemporaryDirectory()
    sink = Sink(Path(mail_folder.name))
    sink.start()
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
            processes.append(subprocess.Popen(api_command(port), env=env))
            worker_log = Path(data_dir) / "worker.log"
            processes.append(
                subprocess.Popen(
                    worker_command(concurrency=args.concurrency, loglevel="WARNING"),
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
            fanout_rate = args.count / (sink.last_at.value - started)

        messages = sink.messages()
        size = sum(len(m[2]) for m in messages) / len(messages)
        sink.reset()
        reused = asyncio.run(resend_reused(messages))
        sink.reset()
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
        sink.stop()
        mail_folder.cleanup()
        if engine is not None:
            engine.dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
