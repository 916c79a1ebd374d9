"""Nothing accepted is lost: a broker down at commit time, a worker killed mid fan-out; and a killed
worker's emails go out again within seconds, not after the claim lease."""

from __future__ import annotations

import time
from collections import Counter

import httpx
from sqlalchemy import func, select

from consult.auth.models import Role
from consult.directory.models import Person
from consult.mail.delivery import RECORD_EVERY
from consult.mail.models import OutboundEmail, OutboxState
from consult.settings import get_settings
from tests.conftest import WorkerProcess, api_server
from tests.servers import free_port
from tests.waiting import wait_until


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


def _recipients(smtp) -> Counter[str]:
    return Counter(m.rcpt_tos[0] for m in smtp.received)


def _unsent(db) -> int:
    db.expire_all()
    return db.scalar(
        select(func.count()).where(OutboundEmail.state.in_([OutboxState.PENDING, OutboxState.SENDING]))
    )


def _duplicates_allowed() -> int:
    # Only messages sent but not yet recorded when a worker died can go out twice: per worker
    # process, those since its last commit of outcomes and those in flight on its connections.
    return 2 * (RECORD_EVERY + get_settings().outbox.smtp_connections)


# Production's clocks: the claim lease, the relay's interval and its grace for lost broker messages.
PRODUCTION_CLOCKS = {
    "CONSULT_MAIL_CLAIM_LEASE_SECONDS": "300",
    "CONSULT_OUTBOX_RELAY_SECONDS": "30",
    "CONSULT_OUTBOX_RELAY_GRACE_SECONDS": "60",
}


def test_a_worker_killed_mid_fan_out_delivers_everything_well_within_the_lease(
    api, make_event, worker, smtp, db, db_engine, tmp_path
):
    """SIGKILL mid fan-out with production's 300 s lease: the next worker takes the dead one's claims
    once its heartbeat has stopped, and the last invitation arrives well within a minute."""
    worker.stop()  # the suite's worker runs with a 5 s lease; this test needs production's
    first = WorkerProcess(tmp_path / "first", PRODUCTION_CLOCKS, db_engine)
    second = WorkerProcess(tmp_path / "second", PRODUCTION_CLOCKS, db_engine)
    for process in (first, second):
        process.data_dir.mkdir()
    first.start()
    try:
        event = make_event()
        person_ids = _people(db, 300)
        response = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": person_ids})
        assert response.status_code == 202
        smtp.wait_for(60, timeout=60)
        first.kill()
        killed_at = time.monotonic()
        at_kill = len(smtp.received)
        assert at_kill < 300, "the worker must be killed in the middle of the fan-out"
        second.start()
        wait_until(lambda: len(_recipients(smtp)) >= 300, "every invitation delivered", timeout=90)
        delay = time.monotonic() - killed_at
        wait_until(
            lambda: _unsent(db) == 0, "no email left to send (duplicates, if any, are out)", timeout=90
        )
        recipients = _recipients(smtp)
        print(f"killed after {at_kill} of 300 emails; the last arrived {delay:.1f} s after the kill")  # noqa: T201
        assert len(recipients) == 300, "every invitation delivered"
        assert delay < 60, f"the last invitation came {delay:.1f} s after the kill (lease: 300 s)"
        assert sum(n - 1 for n in recipients.values()) <= _duplicates_allowed()
    finally:
        first.kill()
        second.stop()
