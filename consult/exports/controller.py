"""Exports of a round's comments and participation statistics over /api/v1.

Who may do what:
- Exports are the facilitators' work: admins and facilitators export and queue export jobs.
  Organisers may read them (download a round's export, follow a job, download its file) but not
  queue jobs. Stakeholders get 403 everywhere here.
- Statistics: all staff read them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, facilitators
from consult.auth.principals import Principal
from consult.directory.models import Language
from consult.events.timing import parse_bound
from consult.exports import schemas
from consult.exports.matrix import ExportFilters
from consult.exports.models import CsvDelimiter, ExportFormat, ExportJob
from consult.exports.service import FORMATS, ExportService, download_url
from consult.exports.stats import StatsFile, StatsService, consultation_workbook
from consult.filenames import attachment_headers
from consult.rounds.visibility import CommentFilters, provide_comment_filters
from consult.sessions import IN_TRANSACTION
from consult.settings import Settings

AnyRequest = Request[Principal, str, State]
XLSX = FORMATS[ExportFormat.XLSX].media_type


def _service(db_session: AsyncSession, request: AnyRequest) -> ExportService:
    return ExportService(db_session, request.app.state.settings, request.user)


def _job_out(settings: Settings, job: ExportJob) -> schemas.ExportJobOut:
    return schemas.ExportJobOut.from_model(job, download_url=download_url(settings, job))


LangParam = Annotated[
    Language | None,
    Parameter(
        query="lang",
        description="language of the file's labels (headers, kinds, decisions, summary); "
        "default: the draft's (for statistics: the consultation's first draft's), else English",
    ),
]
DelimiterParam = Annotated[
    CsvDelimiter,
    Parameter(
        query="delimiter",
        description="CSV only: `semicolon` for Excel where the list separator is `;` (az, ru, fr locales)",
    ),
]


class ExportController(Controller):
    path = "/api/v1"
    tags = ["exports"]

    @get(
        "/rounds/{round_id:uuid}/export",
        guards=[any_staff],
        opt=IN_TRANSACTION,
        dependencies={"thread_filters": Provide(provide_comment_filters, sync_to_thread=False)},
    )
    async def export_round(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        round_id: UUID,
        *,  # the query's order: the format, the thread filters, the dates, the file's options
        format: ExportFormat = ExportFormat.XLSX,
        thread_filters: CommentFilters,
        created_from: Annotated[
            str | None, Parameter(query="from", description="comments written at or after (ISO 8601)")
        ] = None,
        created_to: Annotated[
            str | None, Parameter(query="to", description="comments written before (ISO 8601)")
        ] = None,
        lang: LangParam = None,
        delimiter: DelimiterParam = CsvDelimiter.COMMA,
    ) -> Response[bytes]:
        """The comment-response matrix as a file, in draft order; same filters as the comment list."""
        filters = ExportFilters(
            **{
                **asdict(thread_filters),
                "created_from": parse_bound(created_from, "from"),
                "created_to": parse_bound(created_to, "to"),
            }
        )
        found = await _service(db_session, request).export_now(
            round_id, filters, format, lang.value if lang else None, delimiter
        )
        return Response(
            found.content, media_type=found.media_type, headers=attachment_headers(found.filename)
        )

    @post("/rounds/{round_id:uuid}/exports", guards=[facilitators], status_code=202)
    async def queue_export(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID, data: schemas.ExportRequest
    ) -> schemas.ExportJobOut:
        """Queue a worker to write the file (any size); you get an email when it is ready."""
        filters = ExportFilters(
            section_key=data.section_key,
            organisation_id=data.organisation_id,
            organisation_kind=data.organisation_kind,
            kind=data.kind,
            decision=data.decision,
            created_from=data.created_from,
            created_to=data.created_to,
        )
        job = await _service(db_session, request).create_job(
            round_id, filters, data.format, data.lang.value if data.lang else None, data.delimiter
        )
        return _job_out(request.app.state.settings, job)

    @get("/exports/{export_id:uuid}", guards=[any_staff])
    async def get_export(
        self, db_session: AsyncSession, request: AnyRequest, export_id: UUID
    ) -> schemas.ExportJobOut:
        job = await _service(db_session, request).job(export_id)
        return _job_out(request.app.state.settings, job)

    @get("/exports/{export_id:uuid}/file", guards=[any_staff])
    async def export_file(self, db_session: AsyncSession, request: AnyRequest, export_id: UUID) -> File:
        """The file of a finished job, named after the round and the day it was written."""
        job, path, name = await _service(db_session, request).job_file(export_id)
        return File(path=path, media_type=FORMATS[job.format].media_type, headers=attachment_headers(name))


class StatsController(Controller):
    path = "/api/v1"
    tags = ["statistics"]

    @get("/events/{event_id:uuid}/stats", guards=[any_staff])
    async def event_stats(
        self, db_session: AsyncSession, request: AnyRequest, event_id: UUID
    ) -> schemas.EventStats:
        return await StatsService(db_session, request.user).event_stats(event_id)

    @get("/consultations/{consultation_id:uuid}/stats", guards=[any_staff])
    async def consultation_stats(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        consultation_id: UUID,
        format: Annotated[str, Parameter(query="format", pattern="^(json|xlsx)$")] = "json",
        lang: LangParam = None,
    ) -> Response[bytes]:
        """Invited / accepted / declined / attended per event, comments per round; ``?format=xlsx``
        (or ``/stats.xlsx``) gives the same as a workbook (``lang`` for its labels)."""
        if format == "xlsx":
            return await _stats_file(db_session, request, consultation_id, lang)
        stats = await StatsService(db_session, request.user).consultation_stats(consultation_id)
        return Response(msgspec.json.encode(stats), media_type="application/json")

    @get("/consultations/{consultation_id:uuid}/stats.xlsx", guards=[any_staff])
    async def consultation_stats_xlsx(
        self, db_session: AsyncSession, request: AnyRequest, consultation_id: UUID, lang: LangParam = None
    ) -> Response[bytes]:
        return await _stats_file(db_session, request, consultation_id, lang)


async def _stats_file(
    db_session: AsyncSession, request: AnyRequest, consultation_id: UUID, lang: Language | None
) -> Response[bytes]:
    zone = request.app.state.settings.exports.timezone
    found: StatsFile = await consultation_workbook(
        db_session, request.user, consultation_id, lang.value if lang else None, zone
    )
    return Response(found.content, media_type=XLSX, headers=attachment_headers(found.filename))
