"""Leased rows: a claim is free when its worker's heartbeat has stopped, or when its lease is over
(a worker alive but stuck); never while a live worker holds it within the lease."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

from consult import claims
from consult.claims import GONE_AFTER_SECONDS, WorkerHeartbeat, claim, due_for_relay, worker_id
from consult.directory.models import Person
from consult.mail.models import EmailKind, OutboundEmail, OutboxState

LEASE = 300


def test_a_claim_is_free_when_its_worker_is_gone_or_its_lease_is_over(db, monkeypatch):
    # This test process is no worker: no heartbeat thread (the claim writes its heartbeat itself).
    monkeypatch.setattr(claims, "keep_alive", lambda bind: None)
    now = dt.datetime.now(dt.UTC)
    person = Person(full_name="Anna Aliyeva", email="anna@example.org")
    db.add(person)
    db.add_all(
        [
            WorkerHeartbeat(worker="alive", beat_at=now),
            WorkerHeartbeat(worker="dead", beat_at=now - dt.timedelta(seconds=GONE_AFTER_SECONDS + 1)),
        ]
    )
    db.flush()

    def sending(claimed_by: str, claimed_seconds_ago: float) -> OutboundEmail:
        email = OutboundEmail(
            kind=EmailKind.INVITATION,
            person_id=person.id,
            message_id=f"<{uuid4()}@example.org>",
            next_attempt_at=now,
            dispatched_at=now,
            state=OutboxState.SENDING,
            claimed_by=claimed_by,
            claimed_at=now - dt.timedelta(seconds=claimed_seconds_ago),
        )
        db.add(email)
        return email

    held = sending("alive", 10)
    dead = sending("dead", 10)
    never_beat = sending("a worker killed before its first heartbeat", 10)
    stuck = sending("alive", LEASE + 1)
    db.commit()
    ids = [held.id, dead.id, never_beat.id, stuck.id]
    free = {dead.id, never_beat.id, stuck.id}

    assert set(due_for_relay(db, OutboundEmail, grace_seconds=60, lease_seconds=LEASE)) == free
    db.rollback()
    assert set(claim(db, OutboundEmail, ids, lease_seconds=LEASE)) == free
    db.expire_all()
    assert db.get(OutboundEmail, held.id).claimed_by == "alive"
    assert {db.get(OutboundEmail, i).claimed_by for i in free} == {worker_id()}
    # This process now holds them, with a live heartbeat: nobody takes them before the lease.
    assert claim(db, OutboundEmail, ids, lease_seconds=LEASE) == []
    assert due_for_relay(db, OutboundEmail, grace_seconds=60, lease_seconds=LEASE) == []
