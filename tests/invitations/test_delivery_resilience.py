"""Nothing accepted is lost: a broker down at commit time, a worker killed mid fan-out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

import httpx

from consult.auth.models import Role
from consult.directory.models import Person
from consult.mail.delivery import RECORD_EVERY
from consult.settings import get_settings
from tests.conftest import free_port, wait_for_http


def _people(db, count: int) -> list[str]:
    people = [
        Person(full_name=f"Participant {i:03d}", email=f"participant{i:03d}@example.org")
        for i in range(count)
    ]
    db.add_all(people)
    db.commit()
    return [str(p.id) for p in people]


def test_a_broker_outage_at_commit_time_loses_nothing(make_event, tokens, worker, smtp, db, tmp_path):
    """An API whose broker is unreachable still accepts the invitation; the relay delivers it."""
    event = make_event()
    person_ids = _people(db, 3)
    port = free_port()
    env = {
        **os.environ,
        "CONSULT_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "CONSULT_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
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
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", process=process)
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/events/{event['id']}/invitations",
            json={"person_ids": person_ids},
            headers={"Authorization": f"Bearer {tokens[Role.ORGANISER]}"},
            timeout=30,
        )
        assert response.status_code == 202, response.text
    finally:
        process.terminate()
        process.wait(timeout=10)
    received = smtp.wait_for(3, timeout=30)
    assert sorted(m.rcpt_tos[0] for m in received) == [f"participant{i:03d}@example.org" for i in range(3)]


def test_a_worker_killed_mid_fan_out_delivers_everything_after_restart(api, make_event, worker, smtp, db):
    event = make_event()
    person_ids = _people(db, 500)
    response = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": person_ids})
    assert response.status_code == 202
    deadline = time.monotonic() + 60
    while len(smtp.received) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.kill()
    at_kill = len(smtp.received)
    assert at_kill < 500, "the worker must be killed in the middle of the fan-out"
    worker.start()
    smtp.wait_for(500, timeout=120)
    time.sleep(3)
    recipients = Counter(m.rcpt_tos[0] for m in smtp.received)
    assert len(recipients) == 500, "every invitation delivered"
    duplicates = sum(n - 1 for n in recipients.values())
    # Only messages sent but not yet recorded when the worker died can go out twice: per worker
    # process, those since its last commit of outcomes and those in flight on its connections.
    settings = get_settings()
    assert duplicates <= 2 * (RECORD_EVERY + settings.smtp_connections)
