"""Export a round of 25,000, 50,000 and 100,000 comments to XLSX and print the time and peak memory
of each, next to openpyxl's write-only mode writing the same cells directly (the floor: no
database, no row building). Each measurement runs in a fresh subprocess, so its peak RSS
(``ru_maxrss``) is its own.

    .venv/bin/python bench/export_xlsx.py [--sizes 25000,50000,100000]

Needs PostgreSQL on 127.0.0.1 (as the tests do); creates and drops its own database. The comments
are inserted with Core executemany; a fifth of them are replies (threads of depth up to 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("CONSULT_BENCH_DB", f"consult_bench_{RUN}")
os.environ["CONSULT_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"

from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402
from openpyxl.styles import Alignment  # noqa: E402

from consult.db import create_worker_engine, sync_session_factory  # noqa: E402
from consult.exports.matrix import COLUMNS, ExportFilters  # noqa: E402
from consult.exports.models import ExportFormat  # noqa: E402
from consult.exports.service import write_export  # noqa: E402
from consult.settings import get_settings  # noqa: E402

SECTIONS = 40
PEOPLE = 300
ORGANISATIONS = 30
KINDS = ["government", "public_agency", "social_service", "ngo", "private_sector", "international"]
ATTRIBUTIONS = ["named", "named", "organisation", "anonymous"]
DECISIONS = ["accepted", "partially_accepted", "not_accepted", "noted", None, None]
WORDS = (
    "Migrantlərin inteqrasiyası üçün məşğulluq xidmətləri gücləndirilməlidir; "  # noqa: RUF001 - Azerbaijani
    "Доступ к медицинской помощи и языковым курсам должен быть бесплатным; "
    "The one-stop desk should also advise employers on work permits."
)


def comment_text(index: int) -> str:
    return f"{index}: {WORDS[index % 40 :]} {WORDS[: index % 60]}"


# --- the database ----------------------------------------------------------------------------------


def insert_comments(start: int, stop: int, ids: dict) -> None:
    """Comments ``start``..``stop`` of the round, in chunks of 10,000 with Core executemany."""
    from sqlalchemy import insert
    from uuid_utils.compat import uuid7

    from consult.db import create_worker_engine
    from consult.rounds.models import Comment
    from consult.settings import get_settings

    engine = create_worker_engine(get_settings())
    base = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    recent: list[tuple[uuid.UUID, uuid.UUID, str | None, int]] = ids.setdefault("recent", [])
    with engine.begin() as conn:
        batch = []
        for index in range(start, stop):
            comment_id = uuid7()
            parent = recent[-1 - index % 3] if index % 5 == 4 and len(recent) >= 3 else None
            if parent is not None and parent[3] >= 3:
                parent = None
            section = None if index % 23 == 0 else ids["sections"][index % SECTIONS]
            decision = DECISIONS[index % len(DECISIONS)]
            batch.append(
                {
                    "id": comment_id,
                    "round_id": ids["round"],
                    "author_id": ids["people"][index % PEOPLE],
                    "thread_id": parent[1] if parent else comment_id,
                    "parent_id": parent[0] if parent else None,
                    "section_key": parent[2] if parent else section,
                    "kind": "amendment" if index % 7 == 0 else "comment",
                    "body": ("=1+1 " if index % 97 == 0 else "") + comment_text(index),
                    "quote": "recognition of foreign diplomas" if index % 3 == 0 else None,
                    "proposed_text": comment_text(index + 1)[:120] if index % 7 == 0 else None,
                    "attribution": ATTRIBUTIONS[index % len(ATTRIBUTIONS)],
                    "decision": decision,
                    "rationale": f"Rationale {index}: {WORDS[:80]}" if decision else None,
                    "created_at": base + dt.timedelta(seconds=index),
                    "updated_at": base + dt.timedelta(seconds=index),
                }
            )
            recent.append(
                (
                    comment_id,
                    parent[1] if parent else comment_id,
                    parent[2] if parent else section,
                    parent[3] + 1 if parent else 0,
                )
            )
            del recent[:-50]
            if len(batch) == 10_000:
                conn.execute(insert(Comment), batch)
                batch = []
        if batch:
            conn.execute(insert(Comment), batch)
    engine.dispose()


def create_round() -> dict:
    from sqlalchemy import insert
    from uuid_utils.compat import uuid7

    from consult.db import create_worker_engine
    from consult.directory.models import Organisation, Person
    from consult.drafts.models import Document, DocumentSection, DocumentVersion
    from consult.events.models import Consultation
    from consult.rounds.models import CommentRound
    from consult.settings import get_settings

    engine = create_worker_engine(get_settings())
    ids: dict = {"round": uuid7(), "sections": [f"s-{i:04d}" for i in range(SECTIONS)]}
    organisations = [uuid7() for _ in range(ORGANISATIONS)]
    ids["people"] = [uuid7() for _ in range(PEOPLE)]
    consultation, document, version = uuid7(), uuid7(), uuid7()
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation),
            [
                {"id": o, "name": f"Organisation {i}", "kind": KINDS[i % len(KINDS)]}
                for i, o in enumerate(organisations)
            ],
        )
        conn.execute(
            insert(Person),
            [
                {
                    "id": p,
                    "full_name": f"Person {i} Şükürova",
                    "email": f"p{i}@bench.example.org",
                    "organisation_id": organisations[i % ORGANISATIONS] if i % 10 else None,
                }
                for i, p in enumerate(ids["people"])
            ],
        )
        conn.execute(insert(Consultation), [{"id": consultation, "title": "Bench"}])
        conn.execute(
            insert(Document),
            [{"id": document, "consultation_id": consultation, "title": "Strategy", "language": "en"}],
        )
        conn.execute(
            insert(DocumentVersion),
            [{"id": version, "document_id": document, "number": 1, "filename": "s.md", "format": "markdown"}],
        )
        conn.execute(
            insert(DocumentSection),
            [
                {
                    "version_id": version,
                    "key": key,
                    "position": i,
                    "level": 1 + i % 3,
                    "number": f"{i // 9 + 1}.{i % 9 + 1}",
                    "heading": f"Action {i} — heading",
                    "body": "Text",
                }
                for i, key in enumerate(ids["sections"])
            ],
        )
        conn.execute(
            insert(CommentRound),
            [
                {
                    "id": ids["round"],
                    "document_version_id": version,
                    "title": "Bench round",
                    "opens_at": dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
                    "closes_at": dt.datetime(2027, 4, 1, tzinfo=dt.UTC),
                    "visibility": "participants",
                }
            ],
        )
    engine.dispose()
    return ids


# --- the measurements (each in its own process) ----------------------------------------------------


def measure_export(round_id: str, out: Path) -> dict:
    engine = create_worker_engine(get_settings())
    started = time.perf_counter()
    with sync_session_factory(engine)() as session, out.open("wb") as file:
        rows = write_export(session, uuid.UUID(round_id), ExportFilters(), ExportFormat.XLSX, file)
    return {"rows": rows, "seconds": time.perf_counter() - started}


def measure_reference(rows: int, out: Path) -> dict:
    """openpyxl write-only writing the same number of cells of the same kind (wrapped text where the
    export wraps), from values made on the fly: no database, no matrix."""
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Comments")
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([c.header for c in COLUMNS])
    written = dt.datetime(2027, 3, 1, 10, 0)  # a date cell, as the export writes
    for index in range(rows):
        values = [
            str(index + 1),
            None,
            "1.1",
            "Action 1 — heading",
            "recognition of foreign diplomas" if index % 3 == 0 else None,
            "Organisation 1",
            "Government",
            "Person 1 Şükürova",
            "Named",
            "Comment",
            "Website",
            comment_text(index),
            comment_text(index + 1)[:120] if index % 7 == 0 else None,
            written,
            "Accepted",
            f"Rationale {index}: {WORDS[:80]}",
            None,
        ]
        cells = []
        for column, value in zip(COLUMNS, values, strict=True):
            if isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                cells.append(cell)
            elif value is not None and column.wrap:
                cell = WriteOnlyCell(sheet, value)
                cell.alignment = wrap
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(out)
    return {"rows": rows, "seconds": time.perf_counter() - started}


def _peak_rss_mb() -> float:
    """The process's peak resident memory (VmHWM) since the last reset."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    out = Path(args.out)
    # ru_maxrss survives fork+exec, so a child would report the parent's peak: reset the high-water
    # mark (Linux) once the modules are loaded, and read VmHWM at the end.
    Path("/proc/self/clear_refs").write_text("5")
    result = (
        measure_export(args.round, out) if args.measure == "export" else measure_reference(args.rows, out)
    )
    result["peak_mb"] = _peak_rss_mb()
    result["file_mb"] = out.stat().st_size / 1e6
    print(json.dumps(result))


def run_child(*extra: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *extra],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "CONSULT_BENCH_DB": DB_NAME},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--measure", choices=["export", "reference"])
    parser.add_argument("--round")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.measure:
        child(args)
        return

    import psycopg

    from consult.migrations import upgrade

    sizes = sorted(int(s) for s in args.sizes.split(","))
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        upgrade()
        ids = create_round()
        inserted = 0
        print(
            f"{'comments':>9} | {'export s':>8} {'peak MB':>8} | {'openpyxl s':>10} {'peak MB':>8} | ratio | file MB"
        )
        with TemporaryDirectory() as tmp:
            for size in sizes:
                started = time.perf_counter()
                insert_comments(inserted, size, ids)
                inserted = size
                insert_s = time.perf_counter() - started
                export = run_child(
                    "--measure", "export", "--round", str(ids["round"]), "--out", f"{tmp}/e.xlsx"
                )
                reference = run_child(
                    "--measure", "reference", "--rows", str(export["rows"]), "--out", f"{tmp}/r.xlsx"
                )
                print(
                    f"{export['rows']:>9} | {export['seconds']:>8.2f} {export['peak_mb']:>8.1f} | "
                    f"{reference['seconds']:>10.2f} {reference['peak_mb']:>8.1f} | "
                    f"{export['seconds'] / reference['seconds']:>5.2f} | {export['file_mb']:.1f}"
                    f"   (inserted in {insert_s:.1f} s)",
                    flush=True,
                )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
