"""A comment round with 100,000 comments: posting a comment and listing one section's threads through
the real API (uvicorn with one, then two worker processes, as `consult serve --workers N` runs it),
next to a bare Litestar + asyncpg endpoint answering the same listing (the section's first 20
top-level threads with all their replies and authors, as JSON).

    .venv/bin/python bench/rounds_comments.py [--comments 100000] [--concurrency 16] [--seconds 10]
        [--api-workers 1,2] [--page-sizes 10000,100000] [--pages-only]

First, as the round grows to each of ``--page-sizes`` comments, one section's page as a stakeholder
(``/r/{token}/sections/{key}``: the section's text and its first THREADS_PER_PAGE threads with their
replies, dates and forms) with 1 and 4 connections, next to the JSON listing of the same threads
(``?section_key=…&limit=THREADS_PER_PAGE``), a random section each request (the same sequence for
both). The page's cost should not grow with the round and stay within 2x the JSON. The round's
overview (``/r/{token}``, whose contents count every section's threads) is shown beside them.
``--pages-only`` stops after these.

The comments are written straight into PostgreSQL with COPY (realistic threads over a 64-section
draft: mostly top-level comments on a section, replies 1-4 deep, some whole-draft comments, several
organisations, kinds and attributions, a share answered by the facilitators). Each measurement runs
``--concurrency`` keep-alive HTTP/1.1 connections on 127.0.0.1 for ``--seconds`` after a short
warm-up, with a minimal asyncio client (cheaper than httpx, so the client is not what is measured).

Needs PostgreSQL on 127.0.0.1 (as the tests do); creates and drops its own database.
"""

# ruff: noqa: RUF001 - Azerbaijani is written with a dotless i

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from tempfile import TemporaryDirectory

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = f"consult_bench_{RUN}"
DB_URL = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
PILLARS, OBJECTIVES, ACTIONS = 4, 3, 4  # 4 + 12 + 48 = 64 sections
PAGE = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the bare reference endpoint ------------------------------------------------------------------

ROOTS_SQL = """
SELECT c.id, count(*) OVER () AS total
FROM comment c
LEFT JOIN document_section s ON s.version_id = $2 AND s.key = c.section_key
WHERE c.round_id = $1 AND c.parent_id IS NULL AND c.section_key = $3 AND c.hidden_at IS NULL
ORDER BY s.position NULLS FIRST, c.created_at, c.id
LIMIT $4
"""
THREADS_SQL = """
SELECT c.id, c.parent_id, c.section_key, c.kind, c.body, c.quote, c.proposed_text, c.attribution,
       c.created_at, c.edited_at, c.withdrawn_at, p.id AS person_id, p.full_name,
       o.id AS organisation_id, o.name AS organisation_name, o.kind AS organisation_kind
FROM comment c
JOIN person p ON p.id = c.author_id
LEFT JOIN organisation o ON o.id = coalesce(c.on_behalf_of_organisation_id, p.organisation_id)
WHERE c.thread_id = ANY($1::uuid[]) AND c.hidden_at IS NULL
ORDER BY c.created_at, c.id
"""


def serve_bare(port: int, dsn: str) -> None:
    """GET /threads?round_id=&version_id=&section_key=&limit=: asyncpg, dicts, Litestar's JSON."""
    import asyncpg
    import uvicorn
    from litestar import Litestar, get

    pool: list[asyncpg.Pool] = []

    async def start() -> None:
        pool.append(await asyncpg.create_pool(dsn, min_size=10, max_size=10))

    @get("/threads")
    async def threads(round_id: uuid.UUID, version_id: uuid.UUID, section_key: str, limit: int = 20) -> dict:
        async with pool[0].acquire() as conn:
            roots = await conn.fetch(ROOTS_SQL, round_id, version_id, section_key, limit)
            ids = [r["id"] for r in roots]
            rows = await conn.fetch(THREADS_SQL, ids)
        nodes: dict[uuid.UUID, dict] = {}
        for row in rows:
            node = {
                "id": row["id"],
                "parent_id": row["parent_id"],
                "section_key": row["section_key"],
                "kind": row["kind"],
                "body": row["body"],
                "quote": row["quote"],
                "proposed_text": row["proposed_text"],
                "attribution": row["attribution"],
                "author": {
                    "person_id": row["person_id"],
                    "full_name": row["full_name"],
                    "organisation_id": row["organisation_id"],
                    "organisation_name": row["organisation_name"],
                    "organisation_kind": row["organisation_kind"],
                },
                "created_at": row["created_at"],
                "edited_at": row["edited_at"],
                "replies": [],
            }
            if row["parent_id"] is None:
                nodes[row["id"]] = node
            elif row["parent_id"] in nodes:
                nodes[row["parent_id"]]["replies"].append(node)
                nodes[row["id"]] = node
        return {
            "section_key": section_key,
            "threads": [nodes[i] for i in ids if i in nodes],
            "total": roots[0]["total"] if roots else 0,
        }

    app = Litestar([threads], on_startup=[start])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- a minimal HTTP/1.1 keep-alive client ---------------------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body:
            if not any(name.lower() == "content-type" for name in headers):  # JSON unless told
                lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        found = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                found[name.strip().lower()] = value.strip()
        if "content-length" in found:
            payload = await self.reader.readexactly(int(found["content-length"]))
        else:  # chunked
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            payload = b"".join(parts)
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


Request = tuple[str, str, dict[str, str], bytes]


@dataclass(frozen=True)
class Server:
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server process and its worker processes (from /proc)."""
        with open(f"/proc/{self.pid}/task/{self.pid}/children") as children:
            pids = [self.pid, *map(int, children.read().split())]
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    cpu_seconds: float = 0.0  # the server's, while measuring

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: what the throughput ratio would be without other load on the cores."""
        return self.cpu_seconds * 1000 / len(self.latencies)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def load(
    name: str,
    server: Server,
    make: Callable[[int], Request],
    expect: int,
    *,
    concurrency: int,
    seconds: float,
    warmup: float = 2.0,
) -> Result:
    """``concurrency`` connections, each sending its next request as soon as the last answered: a
    warm-up, then the measured part (latencies, and the server's CPU time)."""
    result = Result(name)
    connections = [Connection(server.port) for _ in range(concurrency)]

    async def client(slot: int, until: float, record: bool) -> None:
        conn = connections[slot]
        while (now := time.perf_counter()) < until:
            method, target, headers, body = make(slot)
            status, payload = await conn.request(method, target, headers, body)
            if not record:
                continue
            result.latencies.append(time.perf_counter() - now)
            if status != expect:
                result.errors += 1
                if result.errors == 1:
                    print(f"  {name}: {status} {payload[:300]!r}", file=sys.stderr)

    warm_until = time.perf_counter() + warmup
    await asyncio.gather(*(client(i, warm_until, False) for i in range(concurrency)))
    cpu_from, measure_from = server.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(client(i, measure_from + seconds, True) for i in range(concurrency)))
    result.seconds = time.perf_counter() - measure_from
    result.cpu_seconds = server.cpu_seconds() - cpu_from
    for conn in connections:
        conn.close()
    return result


# --- the data -------------------------------------------------------------------------------------

ORGANISATIONS = [
    ("State Migration Service", "government"),
    ("Ministry of Internal Affairs", "government"),
    ("Ministry of Labour and Social Protection of Population", "government"),
    ("Ministry of Health", "government"),
    ("Ministry of Science and Education", "government"),
    ("State Employment Agency", "public_agency"),
    ("Absheron Regional Social Services Centre", "social_service"),
    ("EU Delegation to Azerbaijan", "international"),
    ("ICMPD Baku Office (MIEUX+)", "international"),
    ("Migrant Support Network Azerbaijan", "ngo"),
    ("Legal Aid Centre for Migrants", "ngo"),
    ("National Confederation of Employers of Azerbaijan", "private_sector"),
    ("Caspian Build Construction Company", "private_sector"),
    ("Baku University Migration Research Centre", "academia"),
]
BODIES = [
    "The 60-day limit is realistic only if the ministry publishes the list of documents it needs.",
    "Qualifications from CIS countries should be recognised through the existing bilateral agreements.",
    "Bu tədbirin maliyyə mənbəyi göstərilməyib; büdcə ayrılmasını dəqiqləşdirməyi təklif edirik.",
    "Предлагаем добавить консультации на русском языке во всех региональных центрах занятости.",
    "Nous proposons de préciser le rôle des municipalités dans l'accueil des familles rejointes.",
    "Who coordinates this action between the agencies? The text should name a lead institution.",
    "Employers need a single contact point; the guide alone will not reduce informal employment.",
    "Please align the terminology with the Migration Code (articles 61-65).",
    "İşəgötürənlər üçün məlumat sessiyaları regionlarda da keçirilməlidir.",
    "Необходимо учесть потребности детей мигрантов в школьном образовании.",
]
REPLIES = [
    "We agree, and the regional centres could start with Ganja and Sumgayit.",
    "The bilateral agreements cover only some diplomas; a general procedure is still needed.",
    "Razıyıq. Bu təklif Əmək Nazirliyi ilə də müzakirə olunmalıdır.",
    "Согласны, но нужен срок реализации.",
    "C'est prévu dans l'action 2.2.1, voir le paragraphe deux.",
    "Could you share the figures you refer to?",
]
RATIONALES = [
    "Taken up in version 2: the lead institution is now named.",
    "The budget is set in the action plan, not in the strategy.",
    "Partly taken up: the regional centres are added, the time limit stays.",
    "Noted for the training course.",
]


def strategy_markdown() -> bytes:
    lines = [
        "National Strategy on the Integration of Migrants 2026-2030 (benchmark draft)",
        "",
        "Draft for consultation.",
        "",
    ]
    for p in range(1, PILLARS + 1):
        lines += [f"# Pillar {p} — Pillar number {p}", "", f"Why pillar {p} matters.", ""]
        for o in range(1, OBJECTIVES + 1):
            lines += [f"## Objective {p}.{o} — Objective {p}.{o}", "", "What this objective achieves.", ""]
            for a in range(1, ACTIONS + 1):
                lines += [
                    f"### Action {p}.{o}.{a} — Action {p}.{o}.{a}",
                    "",
                    "The State Employment Agency opens an information desk for migrants in Baku "
                    "and in the regional employment centres of Ganja and Sumgayit.",
                    "",
                ]
    return "\n".join(lines).encode()


def uuid7_at(moment: dt.datetime) -> uuid.UUID:
    """A UUIDv7 whose timestamp is ``moment`` (ids sort like created_at, as they do in the app)."""
    ms = int(moment.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62) | secrets.randbits(62)
    return uuid.UUID(int=value)


@dataclass
class Setup:
    round_id: uuid.UUID
    version_id: uuid.UUID
    sections: list[str]
    staff_token: str
    stakeholder_tokens: list[str]
    staff_id: uuid.UUID
    authors: list[tuple[uuid.UUID, uuid.UUID | None]]  # person, their organisation
    comments: int = 0
    threads: int = 0

    def stakeholder_token(self, slot: int) -> str:
        return self.stakeholder_tokens[slot % len(self.stakeholder_tokens)]


def fill(args: argparse.Namespace, api_port: int) -> Setup:
    """Directory, draft (through the API), round and invitees (rows); no comments yet."""
    import httpx

    from consult.auth.models import Role, StaffUser
    from consult.auth.service import create_staff_user
    from consult.db import create_worker_engine, sync_session_factory
    from consult.directory.models import Organisation, OrganisationKind, Person
    from consult.rounds.links import new_round_link
    from consult.rounds.models import CommentRound, RoundInvitee, RoundVisibility
    from consult.settings import get_settings

    settings = get_settings()
    engine = create_worker_engine(settings)
    now = dt.datetime.now(dt.UTC)
    with sync_session_factory(engine)() as session:
        staff_token = create_staff_user(session, "admin@example.org", Role.ADMIN, token_days=1).token
        session.commit()
        staff_id = session.query(StaffUser.id).scalar()
        organisations = [Organisation(name=n, kind=OrganisationKind(k)) for n, k in ORGANISATIONS]
        session.add_all(organisations)
        session.flush()
        people = [
            Person(
                full_name=f"Participant {i}",
                email=f"p{i}@example.org",
                organisation_id=organisations[i % len(organisations)].id if i % 10 else None,
            )
            for i in range(140)
        ]
        session.add_all(people)
        session.commit()

        api = httpx.Client(
            base_url=f"http://127.0.0.1:{api_port}",
            headers={"Authorization": f"Bearer {staff_token}"},
            timeout=60,
        )
        consultation = api.post("/api/v1/consultations", json={"title": "Bench"}).json()
        assert "id" in consultation, consultation
        document = api.post(
            "/api/v1/documents",
            json={"consultation_id": consultation["id"], "title": "Strategy", "language": "en"},
        ).json()
        response = api.post(
            f"/api/v1/documents/{document['id']}/versions",
            files={"file": ("strategy.md", strategy_markdown(), "text/markdown")},
        )
        assert response.status_code == 201, response.text
        version = response.json()

        def keys(sections: list[dict]) -> list[str]:
            return [k for s in sections for k in [s["key"], *keys(s["children"])]]

        sections = keys(version["sections"])
        round_ = CommentRound(
            document_version_id=uuid.UUID(version["id"]),
            title="First comment round on the strategy",
            opens_at=now - dt.timedelta(days=14),
            closes_at=now + dt.timedelta(days=14),
            visibility=RoundVisibility.PARTICIPANTS,
        )
        session.add(round_)
        session.flush()
        invitees = [RoundInvitee(round_id=round_.id, person_id=p.id) for p in people]
        session.add_all(invitees)
        session.flush()
        links = [
            new_round_link(session, invitee, round_, settings) for invitee in invitees[: args.concurrency]
        ]
        session.commit()
        round_id, version_id = round_.id, round_.document_version_id
        authors = [(p.id, p.organisation_id) for p in people]
    engine.dispose()
    return Setup(
        round_id=round_id,
        version_id=version_id,
        sections=sections,
        staff_token=staff_token,
        stakeholder_tokens=[link.rsplit("/", 1)[1] for link in links],
        staff_id=staff_id,
        authors=authors,
    )


def add_comments(setup: Setup, total: int) -> None:
    """Top the round up to ``total`` comments (COPY), spread over the last two weeks."""
    import psycopg

    rng = random.Random(total)
    now = dt.datetime.now(dt.UTC)
    sections, authors, round_id, staff_id = setup.sections, setup.authors, setup.round_id, setup.staff_id

    # Sections draw comments unevenly (a few hot actions); some comments are on the whole draft.
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(sections))]
    rng.shuffle(weights)
    start = now - dt.timedelta(days=13)
    span = (now - dt.timedelta(hours=1) - start).total_seconds()
    rows: list[tuple] = []
    threads = 0
    while len(rows) < total - setup.comments:
        threads += 1
        created = start + dt.timedelta(seconds=rng.random() * span)
        section = None if rng.random() < 0.04 else rng.choices(sections, weights)[0]
        thread: list[tuple[uuid.UUID, int, dt.datetime]] = []  # id, depth, created
        replies = rng.choices([0, 1, 2, 3, 4, 6, 9], [50, 20, 12, 8, 5, 3, 2])[0]
        for n in range(replies + 1):
            if n == 0:
                parent, depth, at = None, 0, created
            else:
                parent_id, parent_depth, parent_at = rng.choice([t for t in thread if t[1] < 4])
                parent, depth = parent_id, parent_depth + 1
                at = min(parent_at + dt.timedelta(minutes=rng.randint(5, 3000)), now)
            comment_id = uuid7_at(at)
            thread.append((comment_id, depth, at))
            author_id, organisation_id = rng.choice(authors)
            kind = rng.choices(["comment", "question", "amendment"], [70, 20, 10])[0]
            attribution = rng.choices(["named", "organisation", "anonymous"], [80, 15, 5])[0]
            if organisation_id is None and attribution == "organisation":
                attribution = "named"
            answered = depth == 0 and rng.random() < 0.3
            rows.append(
                (
                    comment_id,
                    round_id,
                    author_id,
                    thread[0][0],
                    parent,
                    section,
                    kind,
                    rng.choice(REPLIES if depth else BODIES),
                    None,
                    "Replace by: within 30 days." if kind == "amendment" else None,
                    organisation_id if organisation_id and rng.random() < 0.3 else None,
                    attribution,
                    at + dt.timedelta(minutes=3) if rng.random() < 0.05 else None,  # edited
                    at + dt.timedelta(hours=1) if rng.random() < 0.01 else None,  # withdrawn
                    at + dt.timedelta(hours=2) if rng.random() < 0.005 else None,  # hidden
                    rng.choice(["accepted", "partially_accepted", "not_accepted", "noted"])
                    if answered
                    else None,
                    rng.choice(RATIONALES) if answered else None,
                    at + dt.timedelta(days=1) if answered else None,
                    staff_id if answered else None,
                    at,
                    at,
                )
            )
    rows.sort(key=lambda r: r[-2])  # insertion order follows time, as in a real round
    columns = (
        "id, round_id, author_id, thread_id, parent_id, section_key, kind, body, quote, proposed_text, "
        "on_behalf_of_organisation_id, attribution, edited_at, withdrawn_at, hidden_at, decision, "
        "rationale, responded_at, responded_by_id, created_at, updated_at"
    )
    started = time.perf_counter()
    with psycopg.connect(DB_URL) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY comment ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("UPDATE comment SET hidden_reason = 'Off-topic' WHERE hidden_at IS NOT NULL")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE comment")
    print(
        f"inserted {len(rows):,} comments in {threads:,} threads with COPY: {time.perf_counter() - started:.1f} s"
    )
    setup.comments += len(rows)
    setup.threads += threads


# --- the run --------------------------------------------------------------------------------------


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    import httpx

    process = subprocess.Popen(args, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{args} exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{args} did not answer")


def section_listing(
    setup: Setup, token: Callable[[int], str], rng: random.Random
) -> Callable[[int], Request]:
    def make(slot: int) -> Request:
        section = rng.choice(setup.sections)
        target = f"/api/v1/rounds/{setup.round_id}/comments?section_key={section}&limit={PAGE}"
        return ("GET", target, {"Authorization": f"Bearer {token(slot)}"}, b"")

    return make


def section_page(setup: Setup, rng: random.Random) -> Callable[[int], Request]:
    """A stakeholder's page of a random section."""

    def make(slot: int) -> Request:
        section = rng.choice(setup.sections)
        return ("GET", f"/r/{setup.stakeholder_token(slot)}/sections/{section}", {}, b"")

    return make


def section_json(setup: Setup, rng: random.Random) -> Callable[[int], Request]:
    """The JSON listing of the threads a section's page shows, as the same stakeholder."""
    from consult.rounds.pages import THREADS_PER_PAGE

    def make(slot: int) -> Request:
        section = rng.choice(setup.sections)
        target = f"/api/v1/rounds/{setup.round_id}/comments?section_key={section}&limit={THREADS_PER_PAGE}"
        return ("GET", target, {"Authorization": f"Bearer {setup.stakeholder_token(slot)}"}, b"")

    return make


def overview_page(setup: Setup) -> Callable[[int], Request]:
    return lambda slot: ("GET", f"/r/{setup.stakeholder_token(slot)}", {}, b"")


def bare_listing(setup: Setup, rng: random.Random) -> Callable[[int], Request]:
    def make(slot: int) -> Request:
        section = rng.choice(setup.sections)
        target = f"/threads?round_id={setup.round_id}&version_id={setup.version_id}&section_key={section}&limit={PAGE}"
        return ("GET", target, {}, b"")

    return make


async def check_same_threads(setup: Setup, api: Server, bare_server: Server) -> None:
    """A sanity check that both endpoints give the same threads for one section."""
    section = setup.sections[5]
    check = Connection(api.port)
    _, api_body = await check.request(
        "GET",
        f"/api/v1/rounds/{setup.round_id}/comments?section_key={section}&limit={PAGE}",
        {"Authorization": f"Bearer {setup.staff_token}"},
    )
    check.close()
    check = Connection(bare_server.port)
    _, bare_body = await check.request(
        "GET",
        f"/threads?round_id={setup.round_id}&version_id={setup.version_id}&section_key={section}&limit={PAGE}",
        {},
    )
    check.close()
    api_tree, bare_tree = json.loads(api_body), json.loads(bare_body)
    api_ids = [t["id"] for t in api_tree["sections"][0]["threads"]]
    assert api_ids == [t["id"] for t in bare_tree["threads"]], "the two endpoints disagree"
    print(
        f"one listing: {len(api_ids)} threads, {len(api_body) / 1024:.0f} KB (API) / {len(bare_body) / 1024:.0f} KB (bare), {api_tree['total']} threads in the section"
    )


async def measure_bare(setup: Setup, bare_server: Server, args: argparse.Namespace) -> dict[str, Result]:
    """The bare endpoint's section listing with ``--concurrency`` connections, then 1 and 4."""
    rng = random.Random(11)
    return {
        f"bare, {concurrency} conn.": await load(
            f"bare Litestar + asyncpg, listing, {concurrency} conn.",
            bare_server,
            bare_listing(setup, rng),
            200,
            concurrency=concurrency,
            seconds=args.seconds,
        )
        for concurrency in (args.concurrency, 1, 4)
    }


async def measure_api(setup: Setup, api: Server, workers: int, args: argparse.Namespace) -> dict[str, Result]:
    """The API with ``workers`` processes: listings as staff and as a stakeholder and posting with
    ``--concurrency`` connections, then a stakeholder's listing with 1 and 4 (latency below saturation)."""
    rng = random.Random(11)
    staff = section_listing(setup, lambda _: setup.staff_token, rng)
    stakeholder = section_listing(setup, setup.stakeholder_token, rng)

    def post(slot: int) -> Request:
        body = {"body": rng.choice(BODIES), "section_key": rng.choice(setup.sections)}
        token = setup.stakeholder_token(slot)
        target = f"/api/v1/rounds/{setup.round_id}/comments"
        return ("POST", target, {"Authorization": f"Bearer {token}"}, json.dumps(body).encode())

    name = f"consult {workers} proc."
    runs = [
        ("staff", staff, 200, args.concurrency),
        ("stakeholder", stakeholder, 200, args.concurrency),
        ("post", post, 201, args.concurrency),
        ("stakeholder", stakeholder, 200, 1),
        ("stakeholder", stakeholder, 200, 4),
    ]
    results = {}
    for what, make, expect, concurrency in runs:
        label = f"{name}, {'post a comment' if what == 'post' else 'listing as ' + what}, {concurrency} conn."
        results[f"{what}, {concurrency} conn."] = await load(
            label, api, make, expect, concurrency=concurrency, seconds=args.seconds
        )
    return results


async def measure_page(setup: Setup, api: Server, args: argparse.Namespace) -> dict[str, Result]:
    """A section's page and the JSON listing of the same threads, as stakeholders, with 1 and 4
    connections (latency below saturation); the overview with 1."""
    check = Connection(api.port)
    sizes = []
    for section in setup.sections[:8]:
        status, html = await check.request(*section_page(setup, random.Random(section))(0))
        assert status == 200, html[:300]
        sizes.append(len(html))
    status, html = await check.request(*overview_page(setup)(0))
    assert status == 200, html[:300]
    check.close()
    print(
        f"at {setup.comments:,} comments: a section's page {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB "
        f"of HTML (8 sections), the overview {len(html) / 1024:.0f} KB"
    )
    runs = [("section page", section_page), ("JSON", section_json)]
    results = {
        f"{what}, {concurrency} conn.": await load(
            f"{setup.comments:,} comments, {what}, {concurrency} conn.",
            api,
            make(setup, random.Random(11)),
            200,
            concurrency=concurrency,
            seconds=args.seconds,
        )
        for what, make in runs
        for concurrency in (1, 4)
    }
    results["overview, 1 conn."] = await load(
        f"{setup.comments:,} comments, overview, 1 conn.",
        api,
        overview_page(setup),
        200,
        concurrency=1,
        seconds=args.seconds,
    )
    return results


def api_command(port: int, workers: int) -> list[str]:
    """uvicorn as `consult serve --workers N` runs it, without the access log (as the bare server)."""
    return [
        *[sys.executable, "-m", "uvicorn", "consult.app:create_app", "--factory", "--no-access-log"],
        *["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        *["--workers", str(workers), "--timeout-worker-healthcheck", "30"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--api-workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="API processes to measure, comma-separated (default 1,2)",
    )
    parser.add_argument(
        "--page-sizes",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=[10_000, 100_000],
        help="round sizes at which the round page is measured, comma-separated (default 10000,100000); "
        "the round then grows to --comments for the rest",
    )
    parser.add_argument("--pages-only", action="store_true", help="measure the round's pages, then stop")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.dsn)
        return

    import psycopg

    os.environ.update(
        {
            "CONSULT_DATABASE_URL": DB_URL,
            "CONSULT_REDIS_URL": os.environ.get("CONSULT_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
            "CONSULT_CELERY_QUEUE": f"consult-bench-{RUN}",
            # The API refuses the dev-only key.
            "CONSULT_SECRET_KEY": secrets.token_urlsafe(48),
            # What is measured is the work, not the limiter: every request comes from one address.
            "CONSULT_RATE_LIMIT_LINK_PAGES": "100000000",
            "CONSULT_RATE_LIMIT_API": "100000000",
            "CONSULT_RATE_LIMIT_LINK_POSTS": "100000000",
        }
    )
    from consult.migrations import upgrade

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    processes: list[subprocess.Popen[bytes]] = []

    def serve(command: list[str], port: int) -> Server:
        processes.append(start_server(command, env, port))
        return Server(port, processes[-1].pid)

    def stop(server: Server) -> None:
        (process,) = [p for p in processes if p.pid == server.pid]
        process.terminate()
        process.wait(timeout=20)
        processes.remove(process)

    try:
        upgrade()
        with TemporaryDirectory() as data_dir:
            env = {**os.environ, "CONSULT_DATA_DIR": data_dir}
            api_port, bare_port = free_port(), free_port()
            api = serve(api_command(api_port, 1), api_port)
            setup = fill(args, api_port)
            pages: dict[int, dict[str, Result]] = {}
            for size in args.page_sizes:
                add_comments(setup, size)
                pages[setup.comments] = asyncio.run(measure_page(setup, api, args))
            if args.pages_only:
                report_pages(pages)
                return
            if setup.comments < args.comments:
                add_comments(setup, args.comments)
            bare = serve(
                [sys.executable, __file__, "--serve-bare", str(bare_port), "--dsn", DB_URL], bare_port
            )
            asyncio.run(check_same_threads(setup, api, bare))
            stop(api)
            results: dict[str | int, dict[str, Result]] = {
                "bare": asyncio.run(measure_bare(setup, bare, args))
            }
            for workers in args.api_workers:
                api_port = free_port()
                api = serve(api_command(api_port, workers), api_port)
                results[workers] = asyncio.run(measure_api(setup, api, workers, args))
                stop(api)
        report(results, setup, args)
        report_pages(pages)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        if args.keep:
            print(f"database kept: {DB_URL}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def report(results: dict[str | int, dict[str, Result]], setup: Setup, args: argparse.Namespace) -> None:
    print(
        f"\n{setup.comments:,} comments, {setup.threads:,} threads, {len(setup.sections)} sections; "
        f"{args.seconds:.0f} s each, page of {PAGE} threads; uvicorn with 1 and with N worker processes"
    )
    print(f"{'':56} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} {'errors':>6}")
    every = [r for group in results.values() for r in group.values()]
    for r in every:
        print(
            f"{r.name:56} {r.rps:7.0f} {r.pct(0.5):7.1f} {r.pct(0.95):7.1f} {r.pct(0.99):7.1f}"
            f" {r.cpu_ms:10.2f} {r.errors:6d}"
        )
    bare = results["bare"][f"bare, {args.concurrency} conn."]
    for workers in args.api_workers:
        api = results[workers]
        for reader in ("staff", "stakeholder"):
            r = api[f"{reader}, {args.concurrency} conn."]
            print(
                f"consult {workers} proc. / bare, listing as {reader:12} {args.concurrency} conn.: "
                f"throughput {r.rps / bare.rps:.2f}, CPU per request {bare.cpu_ms / r.cpu_ms:.2f} (target >= 0.40)"
            )
        for concurrency in (1, 4):
            p95 = api[f"stakeholder, {concurrency} conn."].pct(0.95)
            print(
                f"consult {workers} proc., p95 of a section listing, {concurrency} connection(s): {p95:.1f} ms (target < 50 ms)"
            )
    if any(r.errors for r in every):
        raise SystemExit("some requests failed")


def report_pages(pages: dict[int, dict[str, Result]]) -> None:
    """A section's page next to the JSON of the same threads, at each round size (1 API process):
    latency, and the server's CPU time per request (steadier than latency on a shared machine)."""
    print("\na section's page as a stakeholder vs the JSON listing of the same threads, 1 proc.")
    print(f"{'':46} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms':>7}   page/JSON: {'p50':>5} {'p95':>5} {'CPU':>5}")
    for group in pages.values():
        for concurrency in (1, 4):
            page, listing = group[f"section page, {concurrency} conn."], group[f"JSON, {concurrency} conn."]
            ratios = (
                f"{page.pct(0.5) / listing.pct(0.5):5.2f} {page.pct(0.95) / listing.pct(0.95):5.2f} "
                f"{page.cpu_ms / listing.cpu_ms:5.2f}"
            )
            print(
                f"{page.name:46} {page.pct(0.5):7.1f} {page.pct(0.95):7.1f} {page.cpu_ms:7.2f}"
                f"   page/JSON: {ratios} (target <= 2)"
            )
            print(f"{listing.name:46} {listing.pct(0.5):7.1f} {listing.pct(0.95):7.1f} {listing.cpu_ms:7.2f}")
        overview = group["overview, 1 conn."]
        print(f"{overview.name:46} {overview.pct(0.5):7.1f} {overview.pct(0.95):7.1f} {overview.cpu_ms:7.2f}")
    smallest, largest = min(pages), max(pages)
    for key in ("section page, 1 conn.", "section page, 4 conn.", "JSON, 1 conn.", "overview, 1 conn."):
        what, connections = key.split(", ")
        p50 = pages[largest][key].pct(0.5) / pages[smallest][key].pct(0.5)
        cpu = pages[largest][key].cpu_ms / pages[smallest][key].cpu_ms
        print(
            f"{what} at {largest:,} / at {smallest:,} comments, {connections}: p50 {p50:.2f}, "
            f"CPU {cpu:.2f} (flat is 1)"
        )
    if any(r.errors for group in pages.values() for r in group.values()):
        raise SystemExit("some page requests failed")


if __name__ == "__main__":
    main()
