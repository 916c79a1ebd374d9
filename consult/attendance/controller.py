"""Attendance over /api/v1: check-in at the door, by hand, and from an online meeting's report.

Who may do what: all staff read the list and check people in with their code (organisers and
facilitators run the desk); organisers and admins record people by hand and import reports.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from consult.attendance import schemas
from consult.attendance.service import AttendanceService, read_upload
from consult.auth.guards import any_staff, organisers
from consult.auth.principals import Principal
from consult.pagination import Page, PageParams

AnyRequest = Request[Principal, Any, State]


def _service(db_session: AsyncSession, request: AnyRequest) -> AttendanceService:
    return AttendanceService(db_session, request.app.state.settings, request.user)


class AttendanceController(Controller):
    path = "/api/v1/events/{event_id:uuid}"
    tags = ["attendance"]

    @post("/check-in", guards=[any_staff], status_code=201)
    async def check_in(
        self, db_session: AsyncSession, request: AnyRequest, event_id: UUID, data: schemas.CheckInRequest
    ) -> Response[schemas.CheckInOut]:
        """Record that the holder of this check-in code (from their invitation email or RSVP page)
        is here: 201 with the time; 200 with the first time when they were already checked in."""
        result = await _service(db_session, request).check_in(event_id, data.code)
        return Response(result, status_code=200 if result.already_checked_in else 201)

    @post("/attendance", guards=[organisers], status_code=200)
    async def record_attendance(
        self, db_session: AsyncSession, request: AnyRequest, event_id: UUID, data: schemas.AttendanceIn
    ) -> schemas.AttendanceChange:
        """Record people as there by hand (walk-ins, or invitees without their code), or take them
        off the list (``attended: false``)."""
        return await _service(db_session, request).record(event_id, data)

    @get("/attendance", guards=[any_staff])
    async def list_attendance(
        self, db_session: AsyncSession, request: AnyRequest, event_id: UUID, page: PageParams
    ) -> Page[schemas.AttendanceOut]:
        items, total = await _service(db_session, request).listing(event_id, page)
        return Page.of(items, total, page)

    # The body limit (CONSULT_IMPORT_MAX_BYTES) is set on this controller by create_app.
    @post("/attendance/import", guards=[organisers], status_code=200)
    async def import_report(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        event_id: UUID,
        data: Annotated[schemas.ReportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        dry_run: bool = False,
    ) -> schemas.ImportReport:
        """Read a Zoom or Teams participant report (CSV, Teams' UTF-16 text, or XLSX), or a CSV of
        name, email, join, leave, from the form field ``file``. Rows are matched to the invitees by
        email, then by exact full name; each person's minutes are their rejoins summed (overlaps
        once). Matched people are recorded with their minutes (again: the minutes are replaced);
        unmatched and ambiguous rows are reported, not recorded. ``dry_run`` writes nothing."""
        settings = request.app.state.settings
        report = await read_upload(await data.file.read(), max_bytes=settings.uploads.import_max_bytes)
        return await _service(db_session, request).import_report(event_id, report, dry_run=dry_run)
