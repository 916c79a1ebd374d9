"""A questionnaire's responses as a file (XLSX, CSV or JSON), for organisers, facilitators and admins."""

from __future__ import annotations

import enum
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated
from uuid import UUID

import anyio
from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff
from consult.directory.models import Language
from consult.exports.questionnaires import ExportSource, csv_lines, json_lines, write_xlsx
from consult.filenames import attachment_headers
from consult.questionnaires.results import Filters
from consult.questionnaires.results_controller import Country, Kind, Version
from consult.sessions import RequestSessions

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READ_SIZE = 256 * 1024


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"


async def _file_chunks(source: ExportSource) -> AsyncIterator[bytes]:
    # The workbook is written to a temporary file (a zip is complete only at its end) and sent from it.
    with tempfile.TemporaryFile() as out:
        await write_xlsx(source, out)
        await anyio.to_thread.run_sync(out.seek, 0)
        while chunk := await anyio.to_thread.run_sync(out.read, READ_SIZE):
            yield chunk


class QuestionnaireExportController(Controller):
    path = "/api/v1/questionnaires/{questionnaire_id:uuid}"
    tags = ["questionnaires"]
    guards = [any_staff]

    @get("/export")
    async def export_questionnaire(
        self,
        request: Request,  # type: ignore[type-arg]
        db_session: AsyncSession,
        questionnaire_id: UUID,
        format: Annotated[ExportFormat, Parameter(description="xlsx, csv or json")] = ExportFormat.XLSX,
        lang: Annotated[Language, Parameter(description="the language of the labels")] = Language.EN,
        version: Version = None,
        organisation_kind: Kind = None,
        country: Country = None,
    ) -> Stream:
        filters = Filters(organisation_kind=organisation_kind, country=country)
        source = await ExportSource.open(db_session, questionnaire_id, version, filters, lang.value)
        headers = attachment_headers(source.file_name(format.value))
        sessions: RequestSessions = request.app.state.db_sessions
        if format is ExportFormat.CSV:
            body, media_type = csv_lines, "text/csv; charset=utf-8"
        elif format is ExportFormat.JSON:
            body, media_type = json_lines, "application/json"
        else:
            body, media_type = _file_chunks, XLSX
        return Stream(_in_transaction(sessions, source, body), media_type=media_type, headers=headers)


async def _in_transaction(
    sessions: RequestSessions, source: ExportSource, body: Callable[[ExportSource], AsyncIterator[bytes]]
) -> AsyncIterator[bytes]:
    # The rows stream after the handler returned (and its session closed), through a server-side
    # cursor, which needs a transaction of its own: the request's read session has none.
    async with sessions.read_write() as session:
        async for chunk in body(replace(source, session=session)):
            yield chunk
