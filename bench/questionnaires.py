"""An `open` questionnaire of 20 questions: submission throughput, then with many responses its
results and its XLSX export.

    .venv/bin/python bench/questionnaires.py [--responses 1000000] [--export-sizes 100000,1000000]
        [--concurrency 16] [--seconds 10] [--throughput-only]

First, submissions through the real API: the public page's form (``POST /q/open/{public_key}``,
answered 303 to the thanks page) posted by ``--concurrency`` keep-alive connections for
``--seconds`` against uvicorn with one worker process (as ``consult serve`` runs it, rate limits
raised: every request comes from one address), next to a bare Litestar + asyncpg endpoint inserting
the same answers as JSON in one INSERT of a ``questionnaire_response`` row. The bare one writes
only that row; the API also checks the answers against the definition, adds them to the results'
rollup (``questionnaire_tally``) and writes the audit log, in the same transaction. The client is
bench/rounds_comments.py's minimal HTTP/1.1 one (cheaper than httpx on a shared machine, so the
client is not what is measured); each non-303 (non-201 for the bare) answer counts as a failure.
The submitted rows are deleted afterwards; ``--throughput-only`` stops there.

The responses are written straight into PostgreSQL with COPY (varied answers to every kind of
question, organisations of several kinds and countries). Then, at each size: the results
(``ResultsService.results``, the work behind ``GET /api/v1/questionnaires/{id}/results``, all in
the database), unfiltered and filtered by organisation kind, and, at each of ``--export-sizes``, the XLSX export (the code behind
``GET …/export?format=xlsx``) in a child process, with its time and peak memory (VmHWM, reset once
the modules are loaded): memory should stay flat as responses grow.

COPY bypasses the service, so after each filling the results' rollup (``questionnaire_tally``, which
a submission updates in its own transaction) is recounted from all responses in one INSERT … SELECT
(``consult.questionnaires.tally.rebuild``); its time is printed as "rollup".

Needs PostgreSQL on 127.0.0.1 (as the tests do); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlencode

import rounds_comments as rc  # the API's command, the servers' start-up and the load client

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("CONSULT_BENCH_DB", f"consult_bench_{RUN}")
DB_URL = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
os.environ["CONSULT_DATABASE_URL"] = DB_URL

KINDS = ["government", "public_agency", "social_service", "ngo", "private_sector", "international", None]
COUNTRIES = ["AZ", "AZ", "AZ", "GE", "TR", "FR", None]
ATTRIBUTIONS = ["named", "organisation", "anonymous"]


def texts(en: str) -> dict[str, str]:
    return {"en": en, "az": f"{en} (az)", "ru": f"{en} (ru)", "fr": f"{en} (fr)"}


def options(n: int) -> list[dict]:
    return [{"key": f"o{i}", "label": texts(f"Option {i}")} for i in range(n)]


def definition() -> dict:
    qs: list[dict] = []
    for i in range(8):
        qs.append({"key": f"c{i}", "kind": "choice", "text": texts(f"Choice {i}"), "options": options(4)})
    for i in range(4):
        qs.append(
            {
                "key": f"m{i}",
                "kind": "multiple",
                "other": True,
                "text": texts(f"Multiple {i}"),
                "options": options(5),
            }
        )
    for i in range(4):
        qs.append({"key": f"s{i}", "kind": "scale", "min": 1, "max": 5, "text": texts(f"Scale {i}")})
    for i in range(2):
        qs.append({"key": f"n{i}", "kind": "number", "min": 0, "max": 10000, "text": texts(f"Number {i}")})
    qs.append(
        {"key": "x0", "kind": "matrix", "min": 1, "max": 3, "text": texts("Matrix"), "rows": options(3)}
    )
    qs.append({"key": "t0", "kind": "long_text", "text": texts("Needs")})
    return {
        "original_language": "en",
        "title": texts("Bench"),
        "sections": [{"key": "s", "title": texts("All"), "questions": qs}],
    }


def answers(rng: random.Random) -> dict:
    a: dict = {f"c{i}": f"o{rng.randrange(4)}" for i in range(8)}
    for i in range(4):
        a[f"m{i}"] = {
            "options": sorted(rng.sample([f"o{k}" for k in range(5)], rng.randrange(1, 4))),
            "other": "Interpreters" if rng.random() < 0.1 else None,
        }
    for i in range(4):
        a[f"s{i}"] = rng.randrange(1, 6)
    for i in range(2):
        if rng.random() < 0.9:
            a[f"n{i}"] = rng.randrange(0, 500)
    a["x0"] = {f"o{k}": rng.randrange(1, 4) for k in range(3)}
    if rng.random() < 0.3:
        a["t0"] = rng.choice(["More interpreters.", "Training for staff.", "=1+1 is not a formula here"])
    return a


def create_questionnaire() -> dict:
    import psycopg
    from uuid_utils.compat import uuid7

    ids = {"consultation": uuid7(), "questionnaire": uuid7(), "version": uuid7()}
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO consultation (id, created_at, updated_at, title, description) VALUES (%s,%s,%s,%s,'')",
            (ids["consultation"], now, now, "Bench"),
        )
        conn.execute(
            "INSERT INTO questionnaire (id, created_at, updated_at, consultation_id, name, mode, status, opens_at,"
            " closes_at, public_key, email_confirmation) VALUES (%s,%s,%s,%s,'Bench','open','open',%s,%s,%s,false)",
            (ids["questionnaire"], now, now, ids["consultation"], now, now + dt.timedelta(days=30), RUN),
        )
        conn.execute(
            "INSERT INTO questionnaire_version (id, created_at, updated_at, questionnaire_id, number, definition,"
            " frozen_at) VALUES (%s,%s,%s,%s,1,%s,%s)",
            (ids["version"], now, now, ids["questionnaire"], json.dumps(definition()), now),
        )
    return ids


def fill(ids: dict, start: int, stop: int) -> None:
    import psycopg
    from uuid_utils.compat import uuid7

    rng = random.Random(start)
    pool = [json.dumps(answers(rng)) for _ in range(5000)]
    now = dt.datetime.now(dt.UTC)
    columns = (
        "id, created_at, updated_at, questionnaire_id, version_id, organisation_kind, country, status,"
        " submitted_at, revision, attribution, answers"
    )
    with psycopg.connect(DB_URL, autocommit=True) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY questionnaire_response ({columns}) FROM STDIN") as copy:
            for i in range(start, stop):
                at = now + dt.timedelta(microseconds=i)
                copy.write_row(
                    (
                        uuid7(),
                        at,
                        at,
                        ids["questionnaire"],
                        ids["version"],
                        KINDS[i % 7],
                        COUNTRIES[i % 7],
                        "submitted",
                        at,
                        1,
                        ATTRIBUTIONS[i % 3],
                        pool[i % len(pool)],
                    )
                )
        conn.execute("VACUUM ANALYZE questionnaire_response")


async def rebuild_tally(questionnaire_id: str) -> float:
    """Count the COPY'd responses into the results' rollup, as their submissions would have (a
    submission through the service adds to ``questionnaire_tally`` in its own transaction; COPY
    bypasses the service, so the rollup is recounted from all responses in one INSERT … SELECT)."""
    from consult.db import async_session_factory, create_api_engine
    from consult.questionnaires.tally import rebuild
    from consult.settings import get_settings

    engine = create_api_engine(get_settings())
    started = time.perf_counter()
    try:
        async with async_session_factory(engine)() as session:
            await rebuild(session, uuid.UUID(questionnaire_id))
            await session.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def measure_results(questionnaire_id: str) -> dict:
    from consult.db import async_session_factory, create_api_engine
    from consult.directory.models import OrganisationKind
    from consult.questionnaires.results import Filters, ResultsService
    from consult.settings import get_settings

    engine = create_api_engine(get_settings())
    out = {}
    try:
        for name, filters in (("all", Filters()), ("ngo", Filters(organisation_kind=OrganisationKind.NGO))):
            async with async_session_factory(engine)() as session:
                best = float("inf")
                for _ in range(2):
                    started = time.perf_counter()
                    results = await ResultsService(session).results(
                        uuid.UUID(questionnaire_id), None, filters
                    )
                    best = min(best, time.perf_counter() - started)
                out[name] = {"seconds": best, "responses": results.responses}
    finally:
        await engine.dispose()
    return out


async def measure_export(questionnaire_id: str, out: Path) -> dict:
    from consult.db import async_session_factory, create_api_engine
    from consult.exports.questionnaires import ExportSource, write_xlsx
    from consult.questionnaires.results import Filters
    from consult.settings import get_settings

    engine = create_api_engine(get_settings())
    try:
        async with async_session_factory(engine)() as session:
            started = time.perf_counter()
            source = await ExportSource.open(session, uuid.UUID(questionnaire_id), None, Filters(), "az")
            with out.open("wb") as file:
                rows = await write_xlsx(source, file)
            return {"rows": rows, "seconds": time.perf_counter() - started}
    finally:
        await engine.dispose()


# --- submission throughput: the API next to a bare insert -----------------------------------------

INSERT_SQL = """
INSERT INTO questionnaire_response (id, created_at, updated_at, questionnaire_id, version_id, status,
    submitted_at, revision, attribution, answers)
VALUES ($1, $2, $2, $3, $4, 'submitted', $2, 1, 'anonymous', $5::jsonb)
"""


# The bare server's second endpoint writes what the API writes, by hand: the response, its cells in
# the results' rollup (the same upsert as consult.questionnaires.tally) and one audit row.
COUNT_SQL = """
INSERT INTO questionnaire_tally (id, created_at, updated_at, questionnaire_id, version_id,
    question_key, row_key, value_key, organisation_kind, country, count)
SELECT gen_random_uuid(), now(), now(), $1, $2, c.q, c.r, c.v, '', '', c.n
FROM unnest($3::text[], $4::text[], $5::text[], $6::integer[]) WITH ORDINALITY AS c(q, r, v, n, i)
ORDER BY c.i
ON CONFLICT ON CONSTRAINT uq_questionnaire_tally_cell
DO UPDATE SET count = questionnaire_tally.count + excluded.count, updated_at = excluded.updated_at
"""
AUDIT_SQL = """
INSERT INTO audit_entry (id, created_at, updated_at, actor_kind, actor_label, address, entity_type,
    entity_id, action, fields)
VALUES ($1, $2, $2, 'anonymous', '', '127.0.0.1', 'questionnaire_response', $3, 'create', $4::jsonb)
"""


def serve_bare(port: int, dsn: str, questionnaire_id: str, version_id: str) -> None:
    """POST /responses with the answers as JSON: one INSERT of the response row, nothing else;
    POST /responses/counted: the same, plus the rollup's upsert and an audit row, in one transaction."""
    from collections import Counter

    import asyncpg
    import uvicorn
    from litestar import Litestar, post
    from uuid_utils.compat import uuid7

    from consult.questionnaires.definition import decode_definition
    from consult.questionnaires.tally import cells

    pool: list[asyncpg.Pool] = []
    questionnaire, version = uuid.UUID(questionnaire_id), uuid.UUID(version_id)
    decoded = decode_definition(definition())

    async def start() -> None:
        pool.append(await asyncpg.create_pool(dsn, min_size=10, max_size=10))

    @post("/responses")
    async def submit(data: dict) -> dict:
        response_id = uuid7()
        async with pool[0].acquire() as conn:
            await conn.execute(
                INSERT_SQL, response_id, dt.datetime.now(dt.UTC), questionnaire, version, json.dumps(data)
            )
        return {"id": str(response_id)}

    @post("/responses/counted")
    async def submit_counted(data: dict) -> dict:
        response_id, now = uuid7(), dt.datetime.now(dt.UTC)
        tallied = sorted(Counter(cells(decoded, data)).items())
        async with pool[0].acquire() as conn, conn.transaction():
            await conn.execute(INSERT_SQL, response_id, now, questionnaire, version, json.dumps(data))
            await conn.execute(
                COUNT_SQL,
                questionnaire,
                version,
                *(list(column) for column in zip(*(cell for cell, _ in tallied), strict=True)),
                [n for _, n in tallied],
            )
            await conn.execute(AUDIT_SQL, uuid7(), now, response_id, json.dumps(sorted(data)))
        return {"id": str(response_id)}

    app = Litestar([submit, submit_counted], on_startup=[start])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def form_body(given: dict) -> bytes:
    """The public page's form fields giving these answers (as a browser posts them)."""
    fields: list[tuple[str, str]] = []
    for key, value in given.items():
        if isinstance(value, dict) and "options" in value:
            fields += [(f"q.{key}", option) for option in value["options"]]
            fields.append((f"q.{key}.other", value["other"] or ""))
        elif isinstance(value, dict):
            fields += [(f"q.{key}.{row}", str(point)) for row, point in value.items()]
        else:
            fields.append((f"q.{key}", str(value)))
    return urlencode([*fields, ("attribution", "anonymous"), ("website", "")]).encode()


def count_rows(table: str) -> int:
    import psycopg

    with psycopg.connect(DB_URL) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


def measure_throughput(ids: dict, args: argparse.Namespace) -> None:
    import psycopg

    rng = random.Random(7)
    given = [answers(rng) for _ in range(1000)]
    forms, bodies = [form_body(a) for a in given], [json.dumps(a).encode() for a in given]
    turn = [0] * args.concurrency  # each connection walks the same answers, in both runs

    def pick(slot: int) -> int:
        turn[slot] += 1
        return (slot * 61 + turn[slot]) % len(given)

    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def api_post(slot: int) -> rc.Request:
        return ("POST", f"/q/open/{RUN}", form_headers, forms[pick(slot)])

    def bare_post(slot: int) -> rc.Request:
        return ("POST", "/responses", {}, bodies[pick(slot)])

    def bare_counted_post(slot: int) -> rc.Request:
        return ("POST", "/responses/counted", {}, bodies[pick(slot)])

    processes: list[subprocess.Popen[bytes]] = []
    with TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "CONSULT_DATA_DIR": data_dir,
            "CONSULT_REDIS_URL": os.environ.get("CONSULT_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
            "CONSULT_CELERY_QUEUE": f"consult-bench-{RUN}",
            "CONSULT_SECRET_KEY": secrets.token_urlsafe(48),  # the API refuses the dev-only key
            # What is measured is the work, not the limiter: every request comes from one address.
            "CONSULT_RATE_LIMIT_LINK_PAGES": "100000000",
            "CONSULT_RATE_LIMIT_LINK_POSTS": "100000000",
            "CONSULT_RATE_LIMIT_API": "100000000",
        }

        def run(command: list[str], name: str, make: Callable[[int], rc.Request], expect: int) -> rc.Result:
            port = rc.free_port()
            processes.append(rc.start_server([*command, "--port", str(port)], env, port))
            try:
                return asyncio.run(
                    rc.load(
                        name,
                        rc.Server(port, processes[-1].pid),
                        make,
                        expect,
                        concurrency=args.concurrency,
                        seconds=args.seconds,
                    )
                )
            finally:
                processes[-1].terminate()
                processes[-1].wait(timeout=20)

        try:
            before = count_rows("questionnaire_response"), count_rows("audit_entry")
            api_cmd = rc.api_command(0, 1)
            api_cmd = api_cmd[: api_cmd.index("--port")] + api_cmd[api_cmd.index("--port") + 2 :]
            api = run(api_cmd, f"consult API, 1 proc., {args.concurrency} conn.", api_post, 303)
            after = count_rows("questionnaire_response"), count_rows("audit_entry")
            bare_cmd = [
                sys.executable,
                __file__,
                "--dsn",
                DB_URL,
                "--questionnaire",
                str(ids["questionnaire"]),
            ]
            bare_cmd += ["--version", str(ids["version"]), "--serve-bare"]
            bare = run(bare_cmd, f"bare Litestar + asyncpg, {args.concurrency} conn.", bare_post, 201)
            counted = run(bare_cmd, "  the same, + rollup and audit rows", bare_counted_post, 201)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
    submitted = after[0] - before[0]
    # The filling that follows counts its responses exactly: these go (the rollup is rebuilt after it).
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM questionnaire_response WHERE questionnaire_id = %s", (ids["questionnaire"],)
        )
    print(f"\nsubmissions of the 20-question form, {args.seconds:.0f} s each after a 2 s warm-up")
    print(f"{'':44} {'resp/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms/req':>10} {'ok':>7} {'failed':>6}")
    for r in (api, bare, counted):
        print(
            f"{r.name:44} {r.rps:7.0f} {r.pct(0.5):7.1f} {r.pct(0.95):7.1f} {r.cpu_ms:10.2f}"
            f" {len(r.latencies) - r.errors:7d} {r.errors:6d}"
        )
    print(
        f"API / bare: throughput {api.rps / bare.rps:.2f}, CPU per request {bare.cpu_ms / api.cpu_ms:.2f}"
        " (target >= 0.40; the bare one writes only the response row, the API also the rollup and audit)"
    )
    print(
        f"API / bare with the same writes: throughput {api.rps / counted.rps:.2f},"
        f" CPU per request {counted.cpu_ms / api.cpu_ms:.2f}"
    )
    print(
        f"API wrote {submitted:,} responses (warm-up included), "
        f"{(after[1] - before[1]) / max(submitted, 1):.1f} audit rows per response"
    )
    if api.errors or bare.errors or counted.errors:
        raise SystemExit("some submissions failed")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(args: argparse.Namespace) -> None:
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here on (modules loaded)
    result = asyncio.run(measure_export(args.questionnaire, Path(args.out)))
    result["peak_mb"] = peak_rss_mb()
    result["file_mb"] = Path(args.out).stat().st_size / 1e6
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--export-sizes", default="100000")  # XLSX export at these sizes
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--throughput-only", action="store_true", help="measure submissions, then stop")
    parser.add_argument("--child-export", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--version", help=argparse.SUPPRESS)
    parser.add_argument("--questionnaire", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        child(args)
        return
    if args.serve_bare:
        serve_bare(args.port, args.dsn, args.questionnaire, args.version)
        return
    import psycopg

    from consult.migrations import upgrade

    exports = {int(s) for s in args.export_sizes.split(",") if s}
    sizes = sorted(exports | {args.responses})
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        upgrade()
        ids = create_questionnaire()
        qid = str(ids["questionnaire"])
        measure_throughput(ids, args)
        if args.throughput_only:
            return
        filled = 0
        print(
            f"{'responses':>9} | {'results s':>9} {'ngo s':>6} | {'xlsx s':>7} {'peak MB':>8} {'file MB':>8}"
        )
        with TemporaryDirectory() as tmp:
            for size in sizes:
                started = time.perf_counter()
                fill(ids, filled, size)
                filled = size
                fill_s = time.perf_counter() - started
                tally_s = asyncio.run(rebuild_tally(qid))
                results = asyncio.run(measure_results(qid))
                if size not in exports:
                    print(
                        f"{size:>9} | {results['all']['seconds']:>9.2f} {results['ngo']['seconds']:>6.2f} |"
                        f"   (filled in {fill_s:.1f} s, rollup {tally_s:.1f} s; {results['ngo']['responses']} ngo responses)",
                        flush=True,
                    )
                    continue
                export = json.loads(
                    subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--child-export",
                            "--questionnaire",
                            qid,
                            "--out",
                            f"{tmp}/q.xlsx",
                        ],
                        check=True,
                        capture_output=True,
                        text=True,
                        env={**os.environ, "CONSULT_BENCH_DB": DB_NAME},
                    )
                    .stdout.strip()
                    .splitlines()[-1]
                )
                print(
                    f"{size:>9} | {results['all']['seconds']:>9.2f} {results['ngo']['seconds']:>6.2f} | "
                    f"{export['seconds']:>7.1f} {export['peak_mb']:>8.1f} {export['file_mb']:>8.1f}"
                    f"   (filled in {fill_s:.1f} s, rollup {tally_s:.1f} s; {results['ngo']['responses']} ngo responses)",
                    flush=True,
                )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
