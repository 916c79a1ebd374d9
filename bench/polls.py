"""A scheduling poll to 1,000 invitees through the real API and Celery worker to an SMTP sink (seconds
and messages per second from the API call to the last message accepted), then the tally of 1,000 x
10 answers: p50/p95/p99 of ``GET /api/v1/scheduling-polls/{id}``, and of answering through the poll
page's form.

    .venv/bin/python bench/polls.py [--invitees 1000] [--slots 10] [--requests 200]

Needs PostgreSQL and Redis on 127.0.0.1 (as the tests do); creates and drops its own database. The
database, the SMTP sink and the way the API and worker are started are bench/invitations_fanout.py's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg
from sqlalchemy import insert, select, text
from uuid_utils.compat import uuid7

from bench.invitations_fanout import ADMIN_URL, DB_NAME, Sink, wait_http
from consult.auth.models import Role
from consult.auth.service import create_staff_user
from consult.db import create_worker_engine, sync_session_factory
from consult.directory.models import Language, Organisation, OrganisationKind, Person
from consult.migrations import upgrade
from consult.polls.links import new_poll_link
from consult.polls.models import PollAnswer, PollAnswerValue, PollInvitee, SchedulingPoll
from consult.settings import get_settings
from tests.servers import api_command, free_port, worker_command

ZONES = ["Asia/Baku", "Europe/Vienna", "Europe/Brussels"]
LANGUAGES = list(Language)


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms"


def timed(send, count: int) -> list[float]:
    samples = []
    for i in range(count):
        started = time.perf_counter()
        send(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measurement")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    args = parser.parse_args()

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    mail_folder = TemporaryDirectory()
    sink = Sink(Path(mail_folder.name))
    sink.start()
    processes: list[subprocess.Popen[bytes]] = []
    engine = None
    rng = random.Random(14)
    try:
        upgrade()
        engine = create_worker_engine(get_settings())
        sessions = sync_session_factory(engine)
        with sessions() as session:
            token = create_staff_user(session, "bench@example.org", Role.ORGANISER, token_days=1).token
            kinds = list(OrganisationKind)
            organisations = [
                Organisation(name=f"Organisation {i}", kind=kinds[i % len(kinds)]) for i in range(80)
            ]
            session.add_all(organisations)
            session.flush()
            people = [
                Person(
                    full_name=f"Participant {i}",
                    email=f"p{i}@example.org",
                    timezone=ZONES[i % len(ZONES)],
                    language=LANGUAGES[i % len(LANGUAGES)],
                    organisation_id=organisations[i % len(organisations)].id,
                )
                for i in range(args.invitees)
            ]
            session.add_all(people)
            session.commit()
            person_ids = [str(p.id) for p in people]
            required = [str(o.id) for o in organisations[:5]]

        with TemporaryDirectory() as data_dir:
            # One client posts every answer here: the per-address limits of link routes would refuse it.
            limits = {f"CONSULT_RATE_LIMIT_{name}": "1000000" for name in ("LINK_PAGES", "LINK_POSTS", "API")}
            env = {**os.environ, "CONSULT_DATA_DIR": data_dir, **limits}
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
            first_day = dt.date(2030, 4, 1)
            body = {
                "title": "Virtual round table on key concepts of integration",
                "kind": "round_table",
                "format": "online",
                "timezone": "Europe/Vienna",
                "duration_minutes": 120,
                "online_url": "https://meet.example.org/rt",
                "slots": [
                    {"starts_at": f"{first_day + dt.timedelta(days=i)}T10:00:00"} for i in range(args.slots)
                ],
                "closes_at": "2030-03-25T18:00:00",
                "person_ids": person_ids,
                "required_organisation_ids": required,
            }
            started = time.perf_counter()
            response = client.post(f"/api/v1/consultations/{consultation['id']}/scheduling-polls", json=body)
            api_seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text
            poll = response.json()
            deadline = time.monotonic() + 600
            while sink.count() < args.invitees and time.monotonic() < deadline:
                time.sleep(0.05)
            if sink.count() < args.invitees:
                raise SystemExit(f"only {sink.count()} of {args.invitees} arrived; see {worker_log}")
            mail_seconds = sink.last_at.value - started

            # The answers, written directly (what is measured is reading them back).
            slot_ids = [s["id"] for s in poll["slots"]]
            values = list(PollAnswerValue)
            with sessions() as session:
                invitees = session.scalars(select(PollInvitee).where(PollInvitee.poll_id == poll["id"])).all()
                now = dt.datetime.now(dt.UTC)
                session.execute(
                    insert(PollAnswer),
                    [
                        {
                            "id": uuid7(),
                            "invitee_id": invitee.id,
                            "slot_id": slot,
                            "answer": rng.choice(values),
                            "created_at": now,
                            "updated_at": now,
                        }
                        for invitee in invitees
                        for slot in slot_ids
                    ],
                )
                for invitee in invitees:
                    invitee.answered_at = now
                poll_row = session.get(SchedulingPoll, invitees[0].poll_id)
                tokens = [
                    new_poll_link(session, invitee, poll_row, get_settings()).rsplit("/", 1)[1]
                    for invitee in invitees[: args.requests]
                ]
                session.commit()
                # Answers arrive over days, and autovacuum analyses the tables as they grow; written in
                # one go, the planner would otherwise still believe poll_answer empty.
                session.execute(text("ANALYZE poll_answer, poll_invitee, poll_link"))
                session.commit()

            def tally(_: int) -> None:
                response = client.get(f"/api/v1/scheduling-polls/{poll['id']}")
                assert response.status_code == 200, response.text

            def answer(i: int) -> None:
                form = {slot: rng.choice(values).value for slot in slot_ids}
                response = httpx.post(f"{base}/poll/{tokens[i]}", data=form)
                assert response.status_code == 303, response.text

            def one_row(_: int) -> None:
                response = client.get(f"/api/v1/consultations/{consultation['id']}")
                assert response.status_code == 200, response.text

            tally(0)  # warm up
            tally_ms = timed(tally, args.requests)
            # The same client and server reading one row: what any request costs on this machine now.
            reference_ms = timed(one_row, args.requests)
            answer_ms = timed(answer, args.requests)

        print(f"invitees: {args.invitees}, slots: {args.slots}, worker processes: {args.concurrency}")
        print(f"API call (poll, invitees, outbox rows): {api_seconds:.2f} s")
        print(
            f"poll emails, API call to last message accepted: {mail_seconds:.1f} s "
            f"({args.invitees / mail_seconds:.0f} msg/s)"
        )
        print(
            f"tally of {args.invitees * args.slots:,} answers, GET /scheduling-polls/{{id}}: {percentiles(tally_ms)}"
        )
        print(f"reference: one consultation, GET /consultations/{{id}}: {percentiles(reference_ms)}")
        print(f"answering through the poll page's form (POST /poll/{{token}}): {percentiles(answer_ms)}")
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
