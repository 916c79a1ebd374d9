# ruff: noqa: RUF001
"""The annotated draft (``format=annotated_docx``) of a round with 5,000 comments: time and peak
memory, next to python-docx alone writing the same document (the draft's headings and paragraphs)
with the same comments (one ``add_comment`` per Word comment, same author and text); then
LibreOffice opens the file (headless conversion to PDF). Each measurement runs in a fresh
subprocess, so its peak RSS is its own.

    .venv/bin/python bench/word.py [--comments 5000] [--no-office]

Needs PostgreSQL on 127.0.0.1 (as the tests do); creates and drops its own database. The draft is
the scenario's strategy (version 1); a third of the comments are amendments of a passage of their
section (competing amendments included), a fifth are replies, a third are answered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("CONSULT_BENCH_DB", f"consult_bench_word_{RUN}")
os.environ["CONSULT_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"

from consult.db import create_worker_engine, sync_session_factory  # noqa: E402
from consult.drafts.fixtures import strategy_markdown  # noqa: E402
from consult.drafts.parsing import read_draft  # noqa: E402
from consult.exports.matrix import ExportFilters  # noqa: E402
from consult.exports.models import ExportFormat  # noqa: E402
from consult.exports.service import write_export  # noqa: E402
from consult.settings import get_settings  # noqa: E402

PEOPLE = 200
ORGANISATIONS = 20
KINDS = ["government", "public_agency", "social_service", "ngo", "private_sector", "international"]
ATTRIBUTIONS = ["named", "named", "organisation", "anonymous"]
DECISIONS = ["accepted", "partially_accepted", "not_accepted", None, None, None]
WORDS = (
    "Miqrantlərin inteqrasiyası üçün məşğulluq xidmətləri gücləndirilməlidir; "
    "Доступ к медицинской помощи и языковым курсам должен быть бесплатным; "
    "The one-stop desk should also advise employers on work permits."
)
_WORD = re.compile(r"\w+", re.UNICODE)


def comment_text(index: int) -> str:
    return f"{index}: {WORDS[index % 40 :]} {WORDS[: index % 60]}"


def passage(body: str, index: int) -> str | None:
    """A few words of the section's text, as written (a passage may run into the next paragraph)."""
    words = list(_WORD.finditer(body))
    if len(words) < 5:
        return None
    first = (index * 7) % (len(words) - 4)
    return body[words[first].start() : words[first + 2 + index % 3].end()]


def create_round(comments: int) -> str:
    from sqlalchemy import insert
    from uuid_utils.compat import uuid7

    from consult.directory.models import Organisation, Person
    from consult.drafts.models import Document, DocumentSection, DocumentVersion
    from consult.events.models import Consultation
    from consult.rounds.models import Comment, CommentRound

    draft = read_draft(strategy_markdown(1), filename="strategy.md", max_bytes=10_000_000)
    keys = [f"s-{i:04d}" for i in range(len(draft.sections))]
    engine = create_worker_engine(get_settings())
    round_id, consultation, document, version = uuid7(), uuid7(), uuid7(), uuid7()
    organisations = [uuid7() for _ in range(ORGANISATIONS)]
    people = [uuid7() for _ in range(PEOPLE)]
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation),
            [
                {"id": o, "name": f"Təşkilat {i}", "kind": KINDS[i % len(KINDS)]}
                for i, o in enumerate(organisations)
            ],
        )
        conn.execute(
            insert(Person),
            [
                {
                    "id": p,
                    "full_name": f"Şəxs {i} Петрова",
                    "email": f"p{i}@bench.example.org",
                    "organisation_id": organisations[i % ORGANISATIONS] if i % 10 else None,
                }
                for i, p in enumerate(people)
            ],
        )
        conn.execute(insert(Consultation), [{"id": consultation, "title": "Bench"}])
        conn.execute(
            insert(Document),
            [
                {
                    "id": document,
                    "consultation_id": consultation,
                    "title": "İnteqrasiya strategiyası",
                    "language": "az",
                }
            ],
        )
        conn.execute(
            insert(DocumentVersion),
            [
                {
                    "id": version,
                    "document_id": document,
                    "number": 1,
                    "filename": "strategy.md",
                    "format": "markdown",
                    "preamble": draft.preamble,
                }
            ],
        )
        conn.execute(
            insert(DocumentSection),
            [
                {
                    "version_id": version,
                    "key": key,
                    "parent_key": keys[s.parent] if s.parent is not None else None,
                    "position": i,
                    "level": s.level,
                    "number": s.number,
                    "heading": s.heading,
                    "body": s.body,
                }
                for i, (key, s) in enumerate(zip(keys, draft.sections, strict=True))
            ],
        )
        conn.execute(
            insert(CommentRound),
            [
                {
                    "id": round_id,
                    "document_version_id": version,
                    "title": "Bench round",
                    "opens_at": dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
                    "closes_at": dt.datetime(2027, 4, 1, tzinfo=dt.UTC),
                    "visibility": "participants",
                }
            ],
        )
        base = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
        rows = []
        roots: list[tuple[uuid.UUID, str | None]] = []
        for index in range(comments):
            comment_id = uuid7()
            parent = roots[-1 - index % 5] if index % 5 == 4 and len(roots) >= 5 else None
            section = None if index % 29 == 0 else index % len(keys)
            quote = (
                passage(draft.sections[section].body, index) if section is not None and index % 2 else None
            )
            amendment = parent is None and quote is not None and index % 3 != 2
            decision = DECISIONS[index % len(DECISIONS)]
            rows.append(
                {
                    "id": comment_id,
                    "round_id": round_id,
                    "author_id": people[index % PEOPLE],
                    "thread_id": parent[0] if parent else comment_id,
                    "parent_id": parent[0] if parent else None,
                    "section_key": parent[1] if parent else (keys[section] if section is not None else None),
                    "kind": "amendment" if amendment else "comment",
                    "body": comment_text(index),
                    "quote": None if parent else quote,
                    "proposed_text": comment_text(index + 1)[:80] if amendment else None,
                    "attribution": ATTRIBUTIONS[index % len(ATTRIBUTIONS)],
                    "decision": decision,
                    "rationale": f"Rationale {index}: {WORDS[:80]}" if decision else None,
                    "created_at": base + dt.timedelta(seconds=index),
                    "updated_at": base + dt.timedelta(seconds=index),
                }
            )
            if parent is None:
                roots.append((comment_id, rows[-1]["section_key"]))
        conn.execute(insert(Comment), rows)
    engine.dispose()
    return str(round_id)


# --- the measurements (each in its own process) ----------------------------------------------------


def measure_export(round_id: str, out: Path) -> dict:
    engine = create_worker_engine(get_settings())
    started, cpu = time.perf_counter(), time.process_time()
    with sync_session_factory(engine)() as session, out.open("wb") as file:
        rows = write_export(session, uuid.UUID(round_id), ExportFilters(), ExportFormat.ANNOTATED_DOCX, file)
    return {"rows": rows, "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def measure_reference(source: Path, out: Path, counter: bool) -> dict:
    """python-docx writing the annotated draft's paragraphs (same styles and text) and calling
    ``add_comment`` once per Word comment in it (same author, initials and text), each on a run of
    the paragraph the comment starts in. No tracked changes (python-docx has no API for them), no
    database. The inputs are read from the annotated draft before the clock starts.

    ``counter``: python-docx's search for a free comment id (a scan of every comment so far, which
    makes n comments cost n²) replaced by a counter: the floor of its API, for comparison."""
    import itertools

    import docx
    from docx.oxml.comments import CT_Comments

    if counter:
        ids = itertools.count()
        CT_Comments._next_available_comment_id = lambda self: next(ids)  # type: ignore[method-assign]

    annotated = docx.Document(str(source))
    paragraphs = [(p.style.name if p.style else None, p.text) for p in annotated.paragraphs]
    starts: dict[int, int] = {}
    for index, p in enumerate(annotated.paragraphs):
        for start in p._p.iter(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}commentRangeStart"
        ):
            starts[int(start.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}id"))] = index
    notes = [(c.comment_id, c.author, c.initials, c.text) for c in annotated.comments]
    del annotated
    _reset_peak()

    started, cpu = time.perf_counter(), time.process_time()
    document = docx.Document()
    written = []
    for style, text in paragraphs:
        written.append(document.add_paragraph(text, style=style))
    for comment_id, author, initials, text in notes:
        paragraph = written[starts.get(comment_id, 0)]
        runs = paragraph.runs or [paragraph.add_run("")]
        document.add_comment(runs[0], text=text, author=author, initials=initials)
    document.save(str(out))
    return {"rows": len(notes), "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def open_in_libreoffice(source: Path, folder: Path) -> dict:
    soffice = shutil.which("soffice")
    if soffice is None:
        return {"office": "soffice not installed"}
    started = time.perf_counter()
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        timeout=1800,
        check=False,
    )
    pdf = folder / f"{source.stem}.pdf"
    ok = result.returncode == 0 and pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    return {
        "office": "opened" if ok else f"FAILED: {result.stderr.decode(errors='replace')[-300:]}",
        "office_s": time.perf_counter() - started,
    }


def _reset_peak() -> None:
    """ru_maxrss survives fork+exec and never goes down: reset the high-water mark (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    out = Path(args.out)
    _reset_peak()
    if args.measure == "export":
        result = measure_export(args.round, out)
    else:
        result = measure_reference(Path(args.source), out, args.measure == "counter")
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


def word_counts(path: Path) -> tuple[int, int]:
    """Word comments and tracked changes (``w:ins`` / ``w:del`` elements) in a file."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        comments = archive.read("word/comments.xml").count(b"<w:comment ")
        body = archive.read("word/document.xml")
    return comments, body.count(b"<w:ins ") + body.count(b"<w:del ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--no-office", action="store_true")
    parser.add_argument("--keep", help="copy the annotated draft to this path")
    parser.add_argument("--measure", choices=["export", "reference", "counter"])
    parser.add_argument(
        "--references",
        default="reference,counter",
        help="python-docx as it is (reference), with a counter for comment ids (counter)",
    )
    parser.add_argument("--round")
    parser.add_argument("--source")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.measure:
        child(args)
        return

    import psycopg

    from consult.migrations import upgrade

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # figures as they come
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        upgrade()
        started = time.perf_counter()
        round_id = create_round(args.comments)
        print(
            f"round of {args.comments} comments inserted in {time.perf_counter() - started:.1f} s", flush=True
        )
        with TemporaryDirectory() as tmp:
            folder = Path(tmp)
            export = run_child("--measure", "export", "--round", round_id, "--out", f"{tmp}/annotated.docx")
            notes, changes = word_counts(folder / "annotated.docx")
            if args.keep:
                shutil.copyfile(folder / "annotated.docx", args.keep)
            print(f"{'':<40} | {'seconds':>8} {'CPU s':>8} {'peak MB':>8} {'file MB':>8}")
            print(
                f"{'annotated export (DB to file)':<40} | {export['seconds']:>8.2f} {export['cpu']:>8.2f} "
                f"{export['peak_mb']:>8.1f} {export['file_mb']:>8.2f}   {export['rows']} comments: "
                f"{notes} Word comments, {changes} tracked-change elements"
            )
            labels = {
                "reference": "python-docx alone, same comments",
                "counter": "  same, comment ids by a counter",
            }
            for name in args.references.split(","):
                reference = run_child(
                    "--measure", name, "--source", f"{tmp}/annotated.docx", "--out", f"{tmp}/{name}.docx"
                )
                print(
                    f"{labels[name]:<40} | {reference['seconds']:>8.2f} {reference['cpu']:>8.2f} "
                    f"{reference['peak_mb']:>8.1f} {reference['file_mb']:>8.2f}   {reference['rows']} add_comment "
                    f"calls; export / this: {export['seconds'] / reference['seconds']:.2f} wall, "
                    f"{export['cpu'] / reference['cpu']:.2f} CPU (target: at most 3)"
                )
            if not args.no_office:
                office = open_in_libreoffice(folder / "annotated.docx", folder)
                print(
                    f"LibreOffice (headless, to PDF): {office['office']} in {office.get('office_s', 0):.1f} s"
                )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
