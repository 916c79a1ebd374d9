"""Exports of a round's comment-response matrix, right away (small rounds) or as a job a worker
writes to the data folder (any size), and the bookkeeping of those jobs.

Every format has one writer, reading a ``MatrixSource``: the worker hands it the matrix on its
synchronous session (``write_export``); the API reads the rows on the request's session first, then
writes the file in a worker thread, off the event loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO
from uuid import UUID

import anyio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, sessionmaker
from uuid_utils.compat import uuid7

from consult.auth.principals import Principal, StaffPrincipal
from consult.claims import claim, due_for_relay, lost, renew
from consult.drafts.models import Document, DocumentVersion
from consult.errors import Conflict, Forbidden, NotFound
from consult.exports import labels as L
from consult.exports.csvjson import write_csv, write_json
from consult.exports.docx import write_docx
from consult.exports.labels import Labels
from consult.exports.matrix import ExportFilters, ExportOptions, Matrix, consultation_zone
from consult.exports.models import CsvDelimiter, ExportFormat, ExportJob, ExportState
from consult.exports.snapshot import MatrixSource, ReadMatrix
from consult.exports.xlsx import write_xlsx
from consult.filenames import safe_file_name
from consult.jobs import defer
from consult.mail.models import EmailKind
from consult.mail.outbox import enqueue, mail_domain
from consult.rounds.models import CommentRound
from consult.settings import Settings
from consult.word.annotated import write_annotated_docx

logger = logging.getLogger(__name__)

RUN_TASK = "consult.run_export"
Writer = Callable[[MatrixSource, IO[bytes], Callable[[int], None] | None], int]


@dataclass(frozen=True)
class FormatSpec:
    write: Writer
    media_type: str
    extension: str


FORMATS: dict[ExportFormat, FormatSpec] = {
    ExportFormat.XLSX: FormatSpec(
        write_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
    ExportFormat.DOCX: FormatSpec(
        write_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    ),
    ExportFormat.CSV: FormatSpec(write_csv, "text/csv", "csv"),  # Litestar adds "; charset=utf-8"
    ExportFormat.JSON: FormatSpec(write_json, "application/json", "json"),
    ExportFormat.ANNOTATED_DOCX: FormatSpec(
        write_annotated_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
}


def write_export(
    session: Session,
    round_id: UUID,
    filters: ExportFilters,
    fmt: ExportFormat,
    out: IO[bytes],
    progress: Callable[[int], None] | None = None,
    options: ExportOptions | None = None,
) -> int:
    """Write the round's matrix to ``out`` in ``fmt``; returns the number of rows."""
    return FORMATS[fmt].write(Matrix(session, round_id, filters, options), out, progress)


def export_options(
    settings: Settings, language: str | None, delimiter: CsvDelimiter = CsvDelimiter.COMMA
) -> ExportOptions:
    return ExportOptions(language=language, delimiter=delimiter.char, zone=settings.exports.timezone)


def _file_content(matrix: MatrixSource, fmt: ExportFormat) -> bytes:
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as out:
        FORMATS[fmt].write(matrix, out, None)
        out.seek(0)
        return out.read()


def filename(labels: Labels, title: str, when: dt.datetime, fmt: ExportFormat) -> str:
    """ "Strategy draft v2 comments 2026-11-30.xlsx": the round's title and the day, in the zone."""
    day = labels.local(when).date().isoformat()
    return safe_file_name(labels.t(L.FILE_NAME, title=title, date=day), FORMATS[fmt].extension)


def round_labels(session: Session, round_id: UUID, language: str | None, settings: Settings) -> Labels:
    """The labels an export of the round is written with (for its file name, before the rows)."""
    row = session.execute(
        select(Document.language, Document.consultation_id)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .join(CommentRound, CommentRound.document_version_id == DocumentVersion.id)
        .where(CommentRound.id == round_id)
    ).one_or_none()
    draft_language, consultation_id = row if row else (None, None)
    zone = consultation_zone(session, consultation_id) or settings.exports.timezone
    return Labels.of(language or (draft_language.value if draft_language else None), zone)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the API side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str


class ExportService:
    def __init__(self, session: AsyncSession, settings: Settings, principal: Principal) -> None:
        self.session = session
        self.settings = settings
        self.principal = principal

    def _staff(self) -> StaffPrincipal:
        if not isinstance(self.principal, StaffPrincipal):
            raise Forbidden("exports are for staff")
        return self.principal

    async def _round(self, round_id: UUID) -> CommentRound:
        round_ = await self.session.get(CommentRound, round_id)
        if round_ is None:
            raise NotFound(f"comment round {round_id} does not exist")
        return round_

    async def export_now(
        self,
        round_id: UUID,
        filters: ExportFilters,
        fmt: ExportFormat,
        language: str | None = None,
        delimiter: CsvDelimiter = CsvDelimiter.COMMA,
    ) -> ExportFile:
        """The file, written in the request. Larger rounds go through a job (``create_job``)."""
        self._staff()
        filters.check()
        round_ = await self._round(round_id)
        options = export_options(self.settings, language, delimiter)

        def read(session: Session) -> ReadMatrix:
            matrix = Matrix(session, round_id, filters, options)
            if matrix.count() > self.settings.exports.sync_max_comments:
                raise Conflict(
                    f"more than {self.settings.exports.sync_max_comments} comments: "
                    f"queue the export with POST /api/v1/rounds/{round_id}/exports"
                )
            return ReadMatrix.read(matrix)

        # The session stays on the event loop; building the file is CPU the other requests must
        # not wait for.
        matrix = await self.session.run_sync(read)
        content = await anyio.to_thread.run_sync(_file_content, matrix, fmt)
        name = filename(matrix.labels, round_.title, _now(), fmt)
        return ExportFile(content, name, FORMATS[fmt].media_type)

    async def create_job(
        self,
        round_id: UUID,
        filters: ExportFilters,
        fmt: ExportFormat,
        language: str | None = None,
        delimiter: CsvDelimiter = CsvDelimiter.COMMA,
    ) -> ExportJob:
        """Record the job; the workers get it once the request commits (a lost hand-over is redone by
        the scan)."""
        staff = self._staff()
        filters.check()
        await self._round(round_id)
        job = ExportJob(
            id=uuid7(),
            round_id=round_id,
            format=fmt,
            filters=filters.to_json(),
            language=language,
            delimiter=delimiter,
            requested_by_id=staff.user_id,
            dispatched_at=_now(),
        )
        self.session.add(job)
        defer(self.session, RUN_TASK, str(job.id))
        await self.session.commit()
        return job

    async def job(self, job_id: UUID) -> ExportJob:
        self._staff()
        job = await self.session.get(ExportJob, job_id)
        if job is None:
            raise NotFound(f"export {job_id} does not exist")
        return job

    async def job_file(self, job_id: UUID) -> tuple[ExportJob, str, str]:
        """The job, its file's path and the name to download it as (the round's title and the day
        the file was written, in the job's language)."""
        job = await self.job(job_id)
        if job.state is not ExportState.DONE:
            raise Conflict(f"export {job_id} is {job.state.value}, not done")
        # No path: the file was deleted (consult.privacy: retention, or a person's erasure).
        path = self.settings.storage.export_dir / job.file_path if job.file_path else None
        if path is None or not path.is_file():
            raise NotFound(f"the file of export {job_id} is no longer there")
        round_ = await self._round(job.round_id)
        labels = await self.session.run_sync(
            lambda session: round_labels(session, job.round_id, job.language, self.settings)
        )
        name = filename(labels, round_.title, job.finished_at or _now(), job.format)
        return job, str(path), name


def download_url(settings: Settings, job: ExportJob) -> str | None:
    if job.state is not ExportState.DONE:
        return None
    return f"{settings.app.base_url}/api/v1/exports/{job.id}/file"


# --- the worker side -----------------------------------------------------------------------------


def _claim(session: Session, job_id: UUID, settings: Settings) -> ExportJob | None:
    """Take the job unless another worker holds it (a job whose worker is gone, or stopped reporting
    for the lease, is free)."""
    claimed = claim(
        session,
        ExportJob,
        [job_id],
        lease_seconds=settings.exports.lease_seconds,
        started_at=_now(),
        progress=0.0,
    )
    return session.get(ExportJob, claimed[0]) if claimed else None


def run_job(sessions: sessionmaker[Session], settings: Settings, job_id: UUID) -> ExportState | None:
    """Write the job's file, reporting progress; tell the requester by email when it is ready.

    Returns the state the job ended in, or None when there was nothing to do (done already, or
    held by another worker).
    """
    with sessions() as session:
        job = _claim(session, job_id, settings)
        if job is None:
            return None
        session.expunge(job)
    spec = FORMATS[job.format]
    folder = settings.storage.export_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{job.id}.{spec.extension}"
    partial = folder / f"{name}.part"

    def report(fraction: float) -> None:
        with sessions() as session:
            renew(session, ExportJob, job.id, progress=fraction)
            session.commit()

    try:
        with sessions() as reader, partial.open("wb") as out:
            options = export_options(settings, job.language, job.delimiter)
            matrix = Matrix(reader, job.round_id, ExportFilters.from_json(job.filters), options)
            total = max(matrix.count(), 1)
            report(0.0)
            rows = spec.write(matrix, out, lambda done: report(min(done / total, 0.99)))
        os.replace(partial, folder / name)
    except Exception as exc:
        logger.exception("export %s failed", job.id)
        partial.unlink(missing_ok=True)
        with sessions() as session:
            session.execute(
                update(ExportJob)
                .where(ExportJob.id == job.id)
                .values(
                    state=ExportState.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=_now()
                )
            )
            session.commit()
        return ExportState.FAILED
    with sessions() as session:
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == job.id)
            .values(
                state=ExportState.DONE,
                progress=1.0,
                file_path=name,
                row_count=rows,
                error=None,
                finished_at=_now(),
            )
        )
        if job.requested_by_id is not None:
            enqueue(
                session,
                kind=EmailKind.EXPORT_READY,
                staff_user_id=job.requested_by_id,
                domain=mail_domain(settings.mail.from_address),
                context={"export_id": str(job.id)},
            )
        session.commit()
    return ExportState.DONE


def requeue_lost(sessions: sessionmaker[Session], settings: Settings) -> list[UUID]:
    """Dispatch again the queued jobs the broker lost and the running jobs whose worker is gone or
    overran its lease; jobs that were taken too often fail."""
    now = _now()
    with sessions() as session:
        session.execute(
            update(ExportJob)
            .where(
                lost(ExportJob, settings.exports.lease_seconds, now),
                ExportJob.attempts >= settings.exports.max_attempts,
            )
            .values(
                state=ExportState.FAILED,
                error=f"gave up after {settings.exports.max_attempts} attempts",
                finished_at=now,
            )
        )
        due = due_for_relay(
            session,
            ExportJob,
            grace_seconds=settings.exports.relay_grace_seconds,
            lease_seconds=settings.exports.lease_seconds,
        )
        for job_id in due:
            defer(session, RUN_TASK, str(job_id))
        session.commit()
    return due
