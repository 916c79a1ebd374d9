"""Nothing accepted is lost: a broker down at commit time, a worker killed mid fan-out."""

from __future__ import annotations

import time
from collections import Counter

import httpx

from consult.auth.models import Role
from consult.directory.models import Person
from consult.mail.delivery import RECORD_EVERY
from consult.settings import get_settings
from tests.conftest import api_server, free_port


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
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    with api_server(tmp_path, CONSULT_REDIS_URL=dead_broker) as base_url:
        response = httpx.post(
            f"{base_url}/api/v1/events/{event['id']}/invitations",
            json={"person_ids": person_ids},
            headers={"Authorization": f"Bearer {tokens[Role.ORGANISER]}"},
            timeout=30,
        )
    assert response.status_code == 202, response.text
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
    assert duplicates <= 2 * (RECORD_EVERY + settings.outbox.smtp_connections)
