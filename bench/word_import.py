"""Import a returned Word file with 1,000 Word comments (a tenth of them replies) and 500 tracked
changes into a round on a 50-section draft, and print the seconds: reading the file alone, the
whole import (reading, placing, writing every comment through the WritingService with the audit
trail, commit), and the same file sent again (nothing new). Target: the import under 10 s.

    .venv/bin/python bench/word_import.py [--comments 1000] [--changes 500] [--sections 50]

Needs PostgreSQL on 127.0.0.1 (as the tests do); creates and drops its own database. The file is
built as Word writes it (tests/word/import_docs.py).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RUN = uuid.uuid4().hex[:8]
ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("CONSULT_BENCH_DB", f"consult_bench_{RUN}")
os.environ["CONSULT_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"

from tests.word.import_docs import Del, Ins, On, WordFile  # noqa: E402

SENTENCE = (
    "Migrantlərin inteqrasiyası üçün məşğulluq xidmətləri gücləndirilir, "  # noqa: RUF001 - Azerbaijani
    "доступ к языковым курсам расширяется, and the desk advises employers in {n}."
)


def word_files(sections: int, comments: int, changes: int) -> tuple[bytes, bytes]:
    """The draft, and the file returned on it: one paragraph per top-level comment, a tenth of the
    comments replies (to the first paragraphs' comments), the first ``changes`` paragraphs with a
    tracked change each."""
    replies = comments // 10
    paragraphs = comments - replies
    file = WordFile().title("Bench strategy 2026\u20132030")
    per_section = -(-paragraphs // sections)
    for number in range(paragraphs):
        if number % per_section == 0:
            s = number // per_section + 1
            file.heading(1, f"{s}. Section {s} of the strategy")
        text = SENTENCE.format(n=f"district {number}")
        pieces: list = [text[:40], On(text[40:70], f"c{number}")]
        if number < changes:
            pieces += [Del(text[70:78]), Ins("by 2027 "), text[78:]]
        else:
            pieces.append(text[70:])
        file.para(*pieces)
        file.note(f"c{number}", "Ministry of Labour", f"Comment {number}: please say by when.")
        if number < replies:
            file.note(f"r{number}", "Reviewer", f"I agree with comment {number}.", parent=f"c{number}")
    return file.draft(), file.returned()


async def run(args: argparse.Namespace) -> None:
    from sqlalchemy import func, insert, select
    from uuid_utils.compat import uuid7

    from consult.audit.recording import record_changes
    from consult.auth.principals import StakeholderPrincipal
    from consult.db import async_session_factory, create_api_engine
    from consult.directory.models import Person
    from consult.drafts.models import Document
    from consult.drafts.service import VersionService
    from consult.events.models import Consultation
    from consult.rounds.models import Comment, CommentRound, RoundInvitee
    from consult.settings import get_settings
    from consult.word.importing import WordImportService
    from consult.word.reading import read_feedback

    settings = get_settings()
    started = time.perf_counter()
    draft, returned = word_files(args.sections, args.comments, args.changes)
    print(
        f"built the files in {time.perf_counter() - started:.1f} s; returned file {len(returned) / 1e6:.1f} MB"
    )

    record_changes()
    engine = create_api_engine(settings)
    sessions = async_session_factory(engine)
    person, consultation, document, round_id = uuid7(), uuid7(), uuid7(), uuid7()
    async with sessions() as session, session.begin():
        await session.execute(
            insert(Person), [{"id": person, "full_name": "Bench Person", "email": "b@x.org"}]
        )
        await session.execute(insert(Consultation), [{"id": consultation, "title": "Bench"}])
        await session.execute(
            insert(Document),
            [{"id": document, "consultation_id": consultation, "title": "Strategy", "language": "en"}],
        )
        uploaded = await VersionService(session).upload(
            document, filename="draft.docx", content=draft, max_bytes=settings.uploads.draft_max_bytes
        )
        now = dt.datetime.now(dt.UTC)
        session.add(
            CommentRound(
                id=round_id,
                document_version_id=uploaded.version.id,
                title="Bench",
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=10),
                visibility="participants",
            )
        )
        await session.flush()
        session.add(RoundInvitee(round_id=round_id, person_id=person))

    started = time.perf_counter()
    feedback = read_feedback(returned, max_bytes=settings.uploads.draft_max_bytes)
    read_s = time.perf_counter() - started
    print(
        f"reading the file:  {read_s:6.2f} s  ({len(feedback.comments)} Word comments, "
        f"{sum(p.changed for p in feedback.paragraphs)} changed paragraphs)"
    )
    principal = StakeholderPrincipal(person_id=person, round_id=round_id)
    for label in ("the import:", "the same again:"):
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            report = await WordImportService(session, settings, principal).import_file(round_id, returned)
        seconds = time.perf_counter() - started
        c = report.counts
        print(
            f"{label:<18} {seconds:6.2f} s  ({c.comments} comments, {c.replies} replies, {c.amendments} "
            f"amendments, {c.whole_draft} on the whole draft, {c.already_imported} already there)"
            + ("  target < 10 s" if label == "the import:" else "")
        )
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Comment))
    print(f"comments stored:   {stored}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--sections", type=int, default=50)
    args = parser.parse_args()

    import psycopg

    from consult.migrations import upgrade

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        upgrade()
        asyncio.run(run(args))
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
