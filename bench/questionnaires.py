"""An `open` questionnaire of 20 questions with many responses: its results and its XLSX export.

    .venv/bin/python bench/questionnaires.py [--responses 1000000] [--export-sizes 100000,1000000]

The responses are written straight into PostgreSQL with COPY (varied answers to every kind of
question, organisations of several kinds and countries). Then, at each size: the results
(``ResultsService.results``, the work behind ``GET /api/v1/questionnaires/{id}/results``, all in
the database), unfiltered and filtered by organisation kind, and, at each of ``--export-sizes``, the XLSX export (the code behind
``GET …/export?format=xlsx``) in a child process, with its time and peak memory (VmHWM, reset once
the modules are loaded): memory should stay flat as responses grow.

Not measured yet: the submission throughput through the API next to a bare Litestar + asyncpg insert.

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
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

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
            " closes_at, public_key) VALUES (%s,%s,%s,%s,'Bench','open','open',%s,%s,%s)",
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
    parser.add_argument("--child-export", action="store_true")
    parser.add_argument("--questionnaire")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child_export:
        child(args)
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
