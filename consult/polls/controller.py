from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.pagination import Page, PageParams
from consult.polls import schemas
from consult.polls.service import PollService


class SchedulingPollController(Controller):
    """Polls for the time of an event. Creating and deciding send email and create events and
    invitations, so they are the organisers' (as events and invitations are); all staff read them."""

    tags = ["scheduling polls"]

    @post("/api/v1/consultations/{consultation_id:uuid}/scheduling-polls", guards=[organisers])
    async def create_poll(
        self, db_session: AsyncSession, state: State, consultation_id: UUID, data: schemas.PollCreate
    ) -> schemas.PollOut:
        service = PollService(db_session, state.settings)
        return await service.tally(await service.create(consultation_id, data))

    @get("/api/v1/consultations/{consultation_id:uuid}/scheduling-polls", guards=[any_staff])
    async def list_polls(
        self, db_session: AsyncSession, state: State, consultation_id: UUID, page: PageParams
    ) -> Page[schemas.PollBrief]:
        rows, total = await PollService(db_session, state.settings).list(consultation_id, page)
        return Page.of([schemas.PollBrief.from_model(row) for row in rows], total, page)

    @get("/api/v1/scheduling-polls/{poll_id:uuid}", guards=[any_staff])
    async def get_poll(self, db_session: AsyncSession, state: State, poll_id: UUID) -> schemas.PollOut:
        service = PollService(db_session, state.settings)
        return await service.tally(await service.get(poll_id))

    @post("/api/v1/scheduling-polls/{poll_id:uuid}/decide", guards=[organisers], status_code=200)
    async def decide(
        self, db_session: AsyncSession, state: State, poll_id: UUID, data: schemas.PollDecide
    ) -> schemas.PollOut:
        service = PollService(db_session, state.settings)
        return await service.tally(await service.decide(poll_id, data.slot_id))
