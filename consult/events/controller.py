from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.params import Parameter
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.crud import RowRoutes
from consult.events import schemas
from consult.events.hooks import AgendaSections, EventHooks
from consult.events.models import EventFormat, EventKind, EventStatus
from consult.events.service import ConsultationService, EventService
from consult.events.timing import parse_bound
from consult.pagination import Page, PageParams

consultations = RowRoutes(
    "consultation_id", ConsultationService, schemas.ConsultationOut, read=[any_staff], write=[organisers]
)
events = RowRoutes("event_id", EventService, schemas.EventOut, read=[any_staff], write=[organisers])


class ConsultationController(Controller):
    path = "/api/v1/consultations"
    tags = ["events"]

    list_consultations = consultations.list(q=str | None)
    create_consultation = consultations.create(schemas.ConsultationCreate)
    get_consultation = consultations.read()
    update_consultation = consultations.update(schemas.ConsultationPatch)
    delete_consultation = consultations.delete()


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
    async def create_event(
        self, db_session: AsyncSession, state: State, data: schemas.EventCreate
    ) -> schemas.EventOut:
        hooks: EventHooks = state.event_hooks
        await hooks.agenda_sections.send(
            db_session, state.settings, AgendaSections(data.consultation_id, data.agenda)
        )
        event = await EventService(db_session).create(data)
        return schemas.EventOut.from_model(event)

    get_event = events.read()

    @patch("/{event_id:uuid}", guards=[organisers])
    async def update_event(
        self, db_session: AsyncSession, state: State, event_id: UUID, data: schemas.EventPatch
    ) -> schemas.EventOut:
        service = EventService(db_session)
        hooks: EventHooks = state.event_hooks
        if data.agenda is not UNSET:
            event = await service.get(event_id)
            await hooks.agenda_sections.send(
                db_session, state.settings, AgendaSections(event.consultation_id, data.agenda)
            )
        change = await service.update(event_id, data)
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

    delete_event = events.delete()
