from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.exceptions import SerializationException
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.errors import ConsultError, Invalid, NotFound
from consult.events.calendar import Method, build_calendar
from consult.events.service import EventService
from consult.invitations import schemas
from consult.invitations.mailing import calendar_event, calendar_organizer, event_context
from consult.invitations.models import Invitation, Rsvp
from consult.invitations.service import InvitationService
from consult.mail.i18n import best_language
from consult.pagination import PageParams
from consult.web.pages import render_page


class InvitationController(Controller):
    path = "/api/v1/events/{event_id:uuid}"
    tags = ["invitations"]

    @post("/invitations", guards=[organisers], status_code=202)
    async def invite(
        self, db_session: AsyncSession, state: State, event_id: UUID, data: schemas.InviteRequest
    ) -> schemas.InviteResult:
        return await InvitationService(db_session, state.settings).invite(event_id, data)

    @get("/invitations", guards=[any_staff])
    async def list_invitations(
        self,
        db_session: AsyncSession,
        state: State,
        event_id: UUID,
        page: PageParams,
        rsvp: Rsvp | None = None,
        include_withdrawn: bool = False,
    ) -> schemas.InvitationPage:
        service = InvitationService(db_session, state.settings)
        event = await EventService(db_session).get(event_id)
        rows, total = await service.list(event, page, rsvp=rsvp, include_withdrawn=include_withdrawn)
        return schemas.InvitationPage(
            items=[schemas.InvitationOut.from_model(r) for r in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
            counts=await service.counts(event),
        )

    @delete("/invitations/{invitation_id:uuid}", guards=[organisers])
    async def uninvite(
        self, db_session: AsyncSession, state: State, event_id: UUID, invitation_id: UUID
    ) -> None:
        await InvitationService(db_session, state.settings).uninvite(event_id, invitation_id)

    @get("/calendar.ics", guards=[any_staff], media_type="text/calendar; charset=utf-8")
    async def calendar_file(self, db_session: AsyncSession, state: State, event_id: UUID) -> Response[bytes]:
        """The event to download: METHOD:PUBLISH with no attendees; invitees get REQUEST emails."""
        event = await EventService(db_session).get(event_id)
        ics = build_calendar(
            calendar_event(event), Method.PUBLISH, organizer=calendar_organizer(state.settings)
        )
        return Response(
            ics,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="event.ics"'},
        )


def _page(name: str, invitation: Invitation, token: str, state: State, **extra: Any) -> str:
    person = invitation.person
    language = best_language(person.language.value)
    context = {
        **event_context(invitation.event, person.timezone, language),
        "person_name": person.full_name,
        "form_action": f"/rsvp/{token}",
        "response": invitation.rsvp.value,
        "waitlisted": invitation.waitlisted_at is not None,
        "preselected": None,
        "organiser_email": state.settings.mail.from_address,
        **extra,
    }
    return render_page(name, language, context)


class RsvpController(Controller):
    """The personal RSVP link from the invitation email: the token in the path is the credential."""

    path = "/rsvp/{token:str}"
    tags = ["rsvp"]
    include_in_schema = True

    @get("/", media_type=MediaType.HTML)
    async def show(
        self, db_session: AsyncSession, state: State, token: str, answer: str | None = None
    ) -> Response[str]:
        service = InvitationService(db_session, state.settings)
        try:
            invitation = await service.by_token(token)
        except NotFound:
            return _invalid_link()
        preselected = answer if answer in {r.value for r in Rsvp} - {Rsvp.NEEDS_ACTION.value} else None
        html = _page("rsvp", invitation, token, state, preselected=preselected)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)

    @post("/", status_code=200)
    async def answer(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[Any]:
        wants_json = request.headers.get("content-type", "").startswith("application/json")
        try:
            raw: Any = await request.json() if wants_json else dict(await request.form())
        except SerializationException as exc:
            raise ConsultError("the body is not valid JSON") from exc
        try:
            data = msgspec.convert(raw, schemas.RsvpAnswer)
        except msgspec.ValidationError as exc:
            raise Invalid.field("response", "must be accepted, declined or tentative") from exc
        service = InvitationService(db_session, state.settings)
        if not wants_json:
            try:
                await service.by_token(token)
            except NotFound:
                return _invalid_link()
        result = await service.respond(token, Rsvp(data.response))
        invitation = result.invitation
        if wants_json:
            return Response(schemas.RsvpRecorded.from_model(invitation))
        html = _page("rsvp_done", invitation, token, state)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _invalid_link() -> Response[str]:
    return Response(
        render_page("link_invalid", "en", {}), media_type=MediaType.HTML, status_code=404, headers=_NO_STORE
    )
