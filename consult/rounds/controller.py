"""Comment rounds and comments over /api/v1. Staff use staff tokens; a stakeholder uses the token
of their personal round link, and the services keep them to that round and their own comments."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, facilitators
from consult.auth.principals import Principal
from consult.directory.schemas import Audience
from consult.pagination import Page, PageParams
from consult.rounds import schemas
from consult.rounds.answers import AnswerService
from consult.rounds.history import HistoryService
from consult.rounds.listing import ListingService
from consult.rounds.models import IDEMPOTENCY_KEY_LENGTH, Comment
from consult.rounds.moderation import ModerationService
from consult.rounds.service import ActingService, RoundService
from consult.rounds.visibility import CommentFilters, provide_comment_filters
from consult.rounds.writing import WritingService

AnyRequest = Request[Principal, str, State]
S = TypeVar("S", bound=ActingService)


def acting(service: type[S], db_session: AsyncSession, request: AnyRequest) -> S:
    """The service acting for whoever sent the request."""
    return service(db_session, request.app.state.settings, request.user)


async def _shown(db_session: AsyncSession, request: AnyRequest, comment: Comment) -> schemas.CommentOut:
    """A comment the request just wrote or changed, as its sender sees it."""
    return await acting(ListingService, db_session, request).one(comment)


class RoundController(Controller):
    path = "/api/v1/rounds"
    tags = ["comment rounds"]

    @post("/", guards=[facilitators])
    async def create_round(
        self, db_session: AsyncSession, request: AnyRequest, data: schemas.RoundCreate
    ) -> schemas.RoundOut:
        service = acting(RoundService, db_session, request)
        return (await service.out([await service.create(data)]))[0]

    @get("/")
    async def list_rounds(
        self, db_session: AsyncSession, request: AnyRequest, page: PageParams
    ) -> Page[schemas.RoundOut]:
        """Staff see every round; a stakeholder sees the round of their link."""
        service = acting(RoundService, db_session, request)
        rows, total = await service.visible_rounds(page)
        return Page.of(await service.out(rows), total, page)

    @get("/{round_id:uuid}")
    async def get_round(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID
    ) -> schemas.RoundOut:
        service = acting(RoundService, db_session, request)
        return (await service.out([await service.get(round_id)]))[0]

    @patch("/{round_id:uuid}", guards=[facilitators])
    async def update_round(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID, data: schemas.RoundPatch
    ) -> schemas.RoundOut:
        """A later ``closes_at`` extends the deadline and tells the invitees."""
        service = acting(RoundService, db_session, request)
        return (await service.out([await service.update(round_id, data)]))[0]

    @post("/{round_id:uuid}/invitees", guards=[facilitators], status_code=200)
    async def add_invitees(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID, data: Audience
    ) -> schemas.InviteesAdded:
        return await acting(RoundService, db_session, request).add_invitees(round_id, data)

    @delete("/{round_id:uuid}/invitees/{person_id:uuid}", guards=[facilitators])
    async def remove_invitee(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID, person_id: UUID
    ) -> None:
        """The person's links to the round stop working at once; their comments stay."""
        await acting(RoundService, db_session, request).remove_invitee(round_id, person_id)

    @post("/{round_id:uuid}/close", guards=[facilitators], status_code=200)
    async def close_round(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID
    ) -> schemas.RoundOut:
        """End the round now (``closes_at`` becomes the present): no more comments; links read on for
        the usual days after closing. 409 when it has closed already."""
        service = acting(RoundService, db_session, request)
        return (await service.out([await service.close(round_id)]))[0]

    @get("/{round_id:uuid}/draft")
    async def draft(
        self, db_session: AsyncSession, request: AnyRequest, round_id: UUID
    ) -> schemas.RoundDraft:
        return await acting(RoundService, db_session, request).draft(round_id)

    @post("/{round_id:uuid}/comments")
    async def create_comment(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        round_id: UUID,
        data: schemas.CommentCreate,
        idempotency_key: str | None = Parameter(
            header="Idempotency-Key",
            default=None,
            min_length=1,
            max_length=IDEMPOTENCY_KEY_LENGTH,
            description="Any unique string per comment: sending it again (a retry, a double click) "
            "answers 200 with the comment made the first time instead of writing a second one.",
        ),
    ) -> Response[schemas.CommentOut]:
        service = acting(WritingService, db_session, request)
        comment, is_new = await service.create_once(round_id, data, idempotency_key)
        return Response(await _shown(db_session, request, comment), status_code=201 if is_new else 200)

    @get(
        "/{round_id:uuid}/comments",
        dependencies={"filters": Provide(provide_comment_filters, sync_to_thread=False)},
    )
    async def list_comments(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        round_id: UUID,
        page: PageParams,
        filters: CommentFilters,
    ) -> schemas.CommentTree:
        """Threads per section in draft order; ``limit``/``offset`` count top-level threads."""
        return await acting(ListingService, db_session, request).tree(round_id, filters, page)


class CommentController(Controller):
    path = "/api/v1/comments/{comment_id:uuid}"
    tags = ["comment rounds"]

    @patch("/")
    async def update_comment(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID, data: schemas.CommentPatch
    ) -> schemas.CommentOut:
        comment = await acting(WritingService, db_session, request).update(comment_id, data)
        return await _shown(db_session, request, comment)

    @post("/withdraw", status_code=200)
    async def withdraw(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID
    ) -> schemas.CommentOut:
        comment = await acting(WritingService, db_session, request).withdraw(comment_id)
        return await _shown(db_session, request, comment)

    @post("/hide", guards=[facilitators], status_code=200)
    async def hide(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID, data: schemas.HideRequest
    ) -> schemas.CommentOut:
        comment = await acting(ModerationService, db_session, request).hide(comment_id, data.reason)
        return await _shown(db_session, request, comment)

    @post("/restore", guards=[facilitators], status_code=200)
    async def restore(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID
    ) -> schemas.CommentOut:
        comment = await acting(ModerationService, db_session, request).restore(comment_id)
        return await _shown(db_session, request, comment)

    @put("/response", guards=[facilitators])
    async def respond(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID, data: schemas.ResponseIn
    ) -> schemas.CommentOut:
        comment = await acting(AnswerService, db_session, request).respond(comment_id, data)
        return await _shown(db_session, request, comment)

    @get("/history", guards=[any_staff])
    async def history(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID
    ) -> schemas.CommentHistory:
        """Earlier texts of the comment and the facilitators' hide/restore log."""
        return await acting(HistoryService, db_session, request).history(comment_id)
