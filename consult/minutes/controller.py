"""The minutes of an event over /api/v1: staff record what was said as comments of a round."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff
from consult.auth.principals import Principal
from consult.minutes import schemas
from consult.minutes.service import MAX_KEY_LENGTH, MinutesService
from consult.rounds.listing import ListingService
from consult.rounds.schemas import CommentOut

AnyRequest = Request[Principal, str, State]


def _service(db_session: AsyncSession, request: AnyRequest) -> MinutesService:
    return MinutesService(db_session, request.app.state.settings, request.user)


class MinutesController(Controller):
    path = "/api/v1/events/{event_id:uuid}/minutes"
    tags = ["minutes"]
    guards = [any_staff]

    @post("/")
    async def record_minutes(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        event_id: UUID,
        data: schemas.MinutesIn,
        idempotency_key: str | None = Parameter(
            header="Idempotency-Key",
            default=None,
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description="Any unique string per set of minutes: sending it again (a retry after a lost "
            "answer) answers 200 with the points recorded the first time instead of recording them twice.",
        ),
    ) -> Response[schemas.MinutesOut]:
        """Every point or none: a refused point refuses the request, naming it (``points[2].section_key``)."""
        service = _service(db_session, request)
        event, comments, is_new = await service.record(event_id, data, idempotency_key)
        return Response(await service.minutes(event, comments), status_code=201 if is_new else 200)

    @get("/")
    async def get_minutes(
        self, db_session: AsyncSession, request: AnyRequest, event_id: UUID
    ) -> schemas.MinutesOut:
        return await _service(db_session, request).read(event_id)

    @patch("/{comment_id:uuid}")
    async def correct_point(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        event_id: UUID,
        comment_id: UUID,
        data: schemas.PointPatch,
    ) -> CommentOut:
        """The earlier text stays in the comment's history (``GET /api/v1/comments/{id}/history``)."""
        comment = await _service(db_session, request).correct(event_id, comment_id, data)
        return await ListingService(db_session, request.app.state.settings, request.user).one(comment)

    @post("/{comment_id:uuid}/withdraw", status_code=200)
    async def withdraw_point(
        self, db_session: AsyncSession, request: AnyRequest, event_id: UUID, comment_id: UUID
    ) -> CommentOut:
        """The point leaves the round's comments and exports; it stays in the minutes, marked withdrawn."""
        comment = await _service(db_session, request).withdraw(event_id, comment_id)
        return await ListingService(db_session, request.app.state.settings, request.user).one(comment)
