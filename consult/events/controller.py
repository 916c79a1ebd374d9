from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.events import schemas
from consult.events.hooks import EventHooks
from consult.events.models import EventFormat, EventKind, EventStatus
from consult.events.service import ConsultationService, EventService
from consult.events.timing import parse_bound
from consult.pagination import Page, PageParams


class ConsultationController(Controller):
    path = "/api/v1/consultations"
    tags = ["events"]

    @get("/", guards=[any_staff])
    async def list_consultations(
        self, db_session: AsyncSession, page: PageParams, q: str | None = None
    ) -> Page[schemas.ConsultationOut]:
        rows, total = await ConsultationService(db_session).list(page, q=q)
        items = [schemas.ConsultationOut.from_model(r) for r in rows]
        return Page.of(items, total, page)

    @post("/", guards=[organisers])
    async def create_consultation(
        self, db_session: AsyncSession, data: schemas.ConsultationCreate
    ) -> schemas.ConsultationOut:
        consultation = await ConsultationService(db_session).create(data)
        return schemas.ConsultationOut.from_model(consultation)

    @get("/{consultation_id:uuid}", guards=[any_staff])
    async def get_consultation(
        self, db_session: AsyncSession, consultation_id: UUID
    ) -> schemas.ConsultationOut:
        consultation = await ConsultationService(db_session).get(consultation_id)
        return schemas.ConsultationOut.from_model(consultation)

    @patch("/{consultation_id:uuid}", guards=[organisers])
    async def update_consultation(
        self, db_session: AsyncSession, consultation_id: UUID, data: schemas.ConsultationPatch
    ) -> schemas.ConsultationOut:
        consultation = await ConsultationService(db_session).update(consultation_id, data)
        return schemas.ConsultationOut.from_model(consultation)

    @delete("/{consultation_id:uuid}", guards=[organisers])
    async def delete_consultation(self, db_session: AsyncSession, consultation_id: UUID) -> None:
        await ConsultationService(db_session).delete(consultation_id)


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get("/", guards=[any_staff])
    async def list_events(
        self,
        db_session: AsyncSession,
        page: PageParams,
        consultation_id: UUID | None = None,
        kind: EventKind | None = None,
        format: EventFormat | None = None,
        status: EventStatus | None = None,
        starts_from: Annotated[
            str | None, Parameter(query="from", description="events ending after this date or date-time")
        ] = None,
        starts_before: Annotated[
            str | None, Parameter(query="to", description="events starting before this date or date-time")
        ] = None,
        q: str | None = None,
    ) -> Page[schemas.EventOut]:
        rows, total = await EventService(db_session).list(
            page,
            consultation_id=consultation_id,
            kind=kind,
            format=format,
            status=status,
            starts_from=parse_bound(starts_from, "from"),
            starts_before=parse_bound(starts_before, "to"),
            q=q,
        )
        return Page.of([schemas.EventOut.from_model(r) for r in rows], total, page)

    @post("/", guards=[organisers])
    async def create_event(self, db_session: AsyncSession, data: schemas.EventCreate) -> schemas.EventOut:
        return schemas.EventOut.from_model(await EventService(db_session).create(data))

    @get("/{event_id:uuid}", guards=[any_staff])
    async def get_event(self, db_session: AsyncSession, event_id: UUID) -> schemas.EventOut:
        return schemas.EventOut.from_model(await EventService(db_session).get(event_id))

    @patch("/{event_id:uuid}", guards=[organisers])
    async def update_event(
        self, db_session: AsyncSession, state: State, event_id: UUID, data: schemas.EventPatch
    ) -> schemas.EventOut:
        change = await EventService(db_session).update(event_id, data)
        hooks: EventHooks = state.event_hooks
        await hooks.changed.send(db_session, state.settings, change)
        return schemas.EventOut.from_model(change.event)

    @post("/{event_id:uuid}/cancel", guards=[organisers], status_code=200)
    async def cancel_event(
        self, db_session: AsyncSession, state: State, event_id: UUID, data: schemas.EventCancel
    ) -> schemas.EventOut:
        event = await EventService(db_session).cancel(event_id, data.reason)
        hooks: EventHooks = state.event_hooks
        await hooks.cancelled.send(db_session, state.settings, event)
        return schemas.EventOut.from_model(event)

    @delete("/{event_id:uuid}", guards=[organisers])
    async def delete_event(self, db_session: AsyncSession, event_id: UUID) -> None:
        await EventService(db_session).delete(event_id)
