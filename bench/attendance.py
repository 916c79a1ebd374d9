"""Import a 5,000-row Microsoft Teams attendance report through the real API, and print the
seconds it takes (a dry run, then the import that records everyone), next to reading the same file
alone in-process (the share of the time that is parsing, not matching and writing).

    .venv/bin/python bench/attendance.py [--rows 5000] [--repeat 3]

The report is shaped as Teams exports it: UTF-16 with tabs, sections "1. Summary", "2. Participants"
(one row per person) and "3. In-Meeting Activities" (``--rows`` rows: every invitee joins twice, the
second join overlapping the first for some), plus guests nobody invited. The same as an XLSX
workbook is timed too. Needs PostgreSQL on 127.0.0.1 (as the tests do); creates and drops its own
database. No worker runs: the invitations are written straight to the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = f"consult_bench_{RUN}"

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers import api_command, free_port  # noqa: E402

os.environ.update(
    {
        "CONSULT_DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}",
        "CONSULT_SECRET_KEY": secrets.token_urlsafe(48),
        "CONSULT_IMPORT_MAX_BYTES": str(20 * 1024 * 1024),
    }
)

import httpx  # noqa: E402
import psycopg  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from consult.attendance.parsing import read_report  # noqa: E402
from consult.auth.models import Role  # noqa: E402
from consult.auth.service import create_staff_user  # noqa: E402
from consult.db import create_worker_engine, sync_session_factory  # noqa: E402
from consult.directory.models import Person  # noqa: E402
from consult.events.models import Consultation, Event, EventFormat, EventKind  # noqa: E402
from consult.invitations.models import Invitation  # noqa: E402
from consult.migrations import upgrade  # noqa: E402
from consult.settings import get_settings  # noqa: E402

START = dt.datetime(2030, 3, 10, 9, 55)
GUESTS = 50


def _clock(at: dt.datetime) -> str:
    return f"{at.month}/{at.day}/{at:%y}, {at:%I:%M:%S} {at:%p}".replace(" 0", " ")


def _span(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return " ".join(f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if v) or "0s"


def teams_sections(people: list[tuple[str, str]], rows: int) -> list[list[str]]:
    """The report's lines: each invitee's two joins (the second overlapping the first for every
    third person), then guests without an address."""
    activities: list[list[str]] = []
    per_person: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for i in range(rows - GUESTS):
        name, email = people[(i // 2) % len(people)]
        first = i % 2 == 0
        join = START + dt.timedelta(minutes=3 + (i % 7)) if first else START + dt.timedelta(minutes=50)
        leave = join + dt.timedelta(minutes=40 + (i % 11) + (15 if (i // 2) % 3 == 0 else 0))
        per_person.setdefault(email, []).append((join, leave))
        activities.append(
            [name, _clock(join), _clock(leave), _span((leave - join).total_seconds()), email, "Attendee"]
        )
    for g in range(GUESTS):
        join, leave = START + dt.timedelta(minutes=g % 30), START + dt.timedelta(minutes=60 + g % 30)
        activities.append([f"Guest {g}", _clock(join), _clock(leave), "1h", "", "Attendee"])
    participants = [
        [
            name,
            _clock(min(j for j, _ in spans)),
            _clock(max(le for _, le in spans)),
            "1h 30m",
            email,
            email,
            "Attendee",
        ]
        for (name, email) in people
        if (spans := per_person.get(email))
    ]
    return [
        ["1. Summary"],
        ["Meeting title", "Virtual round table on key concepts of integration"],
        ["Attended participants", str(len(participants) + GUESTS)],
        ["Start time", _clock(START)],
        ["End time", _clock(START + dt.timedelta(hours=2))],
        [],
        ["2. Participants"],
        ["Name", "First Join", "Last Leave", "In-Meeting Duration", "Email", "Participant ID (UPN)", "Role"],
        *participants,
        [],
        ["3. In-Meeting Activities"],
        ["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
        *activities,
    ]


def as_teams_csv(lines: list[list[str]]) -> bytes:
    return "\r\n".join("\t".join(cells) for cells in lines).encode("utf-16")


def as_workbook(lines: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Attendance report")
    for cells in lines:
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def timed(send, repeat: int) -> tuple[float, dict]:
    seconds, body = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        response = send()
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:500]
        body = response.json()
    return statistics.median(seconds), body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows of In-Meeting Activities")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    invitees = (args.rows - GUESTS) // 2

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    process: subprocess.Popen[bytes] | None = None
    engine = None
    try:
        upgrade()
        engine = create_worker_engine(get_settings())
        with sync_session_factory(engine)() as session:
            token = create_staff_user(session, "bench@example.org", Role.ORGANISER, token_days=1).token
            consultation = Consultation(title="Bench")
            session.add(consultation)
            session.flush()
            event = Event(
                consultation_id=consultation.id,
                kind=EventKind.ROUND_TABLE,
                format=EventFormat.ONLINE,
                title="Virtual round table",
                timezone="Asia/Baku",
                starts_at=dt.datetime(2030, 3, 10, 6, tzinfo=dt.UTC),
                ends_at=dt.datetime(2030, 3, 10, 8, tzinfo=dt.UTC),
                online_url="https://meet.example.org/rt",
            )
            people = [
                Person(full_name=f"Participant {i}", email=f"p{i}@example.org", timezone="Europe/Vienna")
                for i in range(invitees)
            ]
            session.add_all([event, *people])
            session.flush()
            session.add_all([Invitation(event_id=event.id, person_id=p.id) for p in people])
            session.commit()
            event_id = str(event.id)
            # Mixed case in the report, as people type their addresses.
            named = [(p.full_name, p.email.upper() if i % 5 == 0 else p.email) for i, p in enumerate(people)]

        lines = teams_sections(named, args.rows)
        report = as_teams_csv(lines)
        workbook = as_workbook(lines)
        started = time.perf_counter()
        parsed = read_report(report, max_bytes=len(report))
        parse_seconds = time.perf_counter() - started
        assert parsed.kind == "teams", parsed.kind
        assert len(parsed.rows) == args.rows, len(parsed.rows)

        with TemporaryDirectory() as data_dir:
            port = free_port()
            process = subprocess.Popen(api_command(port), env={**os.environ, "CONSULT_DATA_DIR": data_dir})
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/health")
            client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300)
            url = f"/api/v1/events/{event_id}/attendance/import"

            def send(content: bytes, name: str, dry_run: bool):
                return lambda: client.post(
                    url, params={"dry_run": str(dry_run).lower()}, files={"file": (name, content, "text/csv")}
                )

            dry, dry_body = timed(send(report, "report.csv", True), args.repeat)
            real, body = timed(send(report, "report.csv", False), args.repeat)
            xlsx, xlsx_body = timed(send(workbook, "report.xlsx", False), args.repeat)
            counts = body["counts"]
            assert counts["people"] == invitees, counts
            assert counts["unmatched"] == GUESTS, counts
            assert xlsx_body["counts"] == counts
            assert dry_body["counts"] == counts
            listed = client.get(f"/api/v1/events/{event_id}/attendance", params={"limit": 1}).json()
            assert listed["total"] == invitees

        print(
            f"Teams report: {args.rows:,} activity rows ({invitees:,} invitees joining twice, {GUESTS} guests), "
            f"{len(report) / 1024:.0f} KB UTF-16 CSV, {len(workbook) / 1024:.0f} KB XLSX"
        )
        print(
            f"matched {counts['people']:,} people from {counts['matched_rows']:,} rows; {counts['unmatched']} unmatched"
        )
        print(f"reading the CSV alone, in-process:        {parse_seconds:6.2f} s")
        print(f"import through the API, dry run (CSV):    {dry:6.2f} s  (median of {args.repeat})")
        print(f"import through the API, recording (CSV):  {real:6.2f} s")
        print(f"import through the API, recording (XLSX): {xlsx:6.2f} s")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        if engine is not None:
            engine.dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
