from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.exceptions import SerializationException
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.errors import Conflict, ConsultError, Invalid, NotFound
from consult.events.calendar import Method, build_calendar
from consult.events.models import EventStatus
from consult.events.service import EventService
from consult.invitations import schemas
from consult.invitations.checkin import carries_code, checkin_code, qr_svg_data_uri
from consult.invitations.mailing import calendar_event, calendar_organizer, event_context
from consult.invitations.models import Invitation, Rsvp
from consult.invitations.service import AttendanceOf, InvitationService
from consult.mail.i18n import best_language
from consult.pagination import PageParams
from consult.settings import Settings
from consult.web.pages import NO_STORE, invalid_link, render_page


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
        attendance_of: AttendanceOf | None = state.get("attendance_of")
        came = await attendance_of(db_session, [r.id for r in rows]) if attendance_of else {}
        return schemas.InvitationPage(
            items=[schemas.InvitationOut.from_model(r, attendance=came.get(r.id)) for r in rows],
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


def _state(invitation: Invitation) -> str:
    """Whether the link still takes answers: "open", "cancelled" or "past" (the service refuses the last two)."""
    event = invitation.event
    if event.status is EventStatus.CANCELLED:
        return "cancelled"
    if event.ends_at <= dt.datetime.now(dt.UTC):
        return "past"
    return "open"


def _checkin(settings: Settings, invitation: Invitation) -> dict[str, str] | None:
    """The check-in code and its QR code (a data: URI, which the pages' CSP allows for images)."""
    if not carries_code(invitation.event.format) or invitation.withdrawn_at is not None:
        return None
    code = checkin_code(settings.app.secret_key, invitation.id)
    return {"code": code, "qr": qr_svg_data_uri(code)}


async def _page(
    name: str,
    service: InvitationService,
    invitation: Invitation,
    token: str,
    status_code: int = 200,
    **extra: Any,
) -> Response[str]:
    person, event = invitation.person, invitation.event
    language = best_language(person.language.value)
    context = {
        **event_context(event, person.timezone, language),
        "person_name": person.full_name,
        "form_action": f"/rsvp/{token}",
        "response": invitation.rsvp.value,
        "waitlisted": invitation.waitlisted_at is not None,
        "state": _state(invitation),
        "cancellation_reason": event.cancellation_reason,
        "full": await service.is_full(event),
        "preselected": None,
        "organiser_email": service.settings.mail.from_address,
        "checkin": _checkin(service.settings, invitation),
        **extra,
    }
    html = render_page(name, language, context)
    return Response(html, media_type=MediaType.HTML, status_code=status_code, headers=NO_STORE)


class RsvpController(Controller):
    """The personal RSVP link from the invitation email: the token in the path is the credential.

    The page shows every state of the invitation; its form answers with a redirect back to the page
    (post/redirect/get), so a refresh never answers twice. API clients post JSON and get JSON."""

    path = "/rsvp/{token:str}"
    tags = ["rsvp"]
    include_in_schema = True

    @get("/", media_type=MediaType.HTML)
    async def show(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        answer: str | None = None,
        recorded: bool = False,
    ) -> Response[str]:
        service = InvitationService(db_session, state.settings)
        try:
            invitation = await service.by_token(token)
        except NotFound:
            return invalid_link(request)
        if recorded and _state(invitation) == "open":
            return await _page("rsvp_done", service, invitation, token)
        answerable = {r.value for r in Rsvp} - {Rsvp.NEEDS_ACTION.value}
        preselected = answer if answer in answerable and _state(invitation) == "open" else None
        return await _page("rsvp", service, invitation, token, preselected=preselected)

    @post("/", status_code=200)
    async def answer(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[Any]:
        wants_json = request.headers.get("content-type", "").startswith("application/json")
        try:
            raw: Any = await request.json() if wants_json else dict(await request.form())
        except SerializationException as exc:
            raise ConsultError("the body is not valid JSON") from exc
        service = InvitationService(db_session, state.settings)
        if not wants_json:
            return await self._answer_from_page(service, request, token, raw.get("response"))
        try:
            data = msgspec.convert(raw, schemas.RsvpAnswer)
        except msgspec.ValidationError as exc:
            raise Invalid.field("response", "must be accepted, declined or tentative") from exc
        result = await service.respond(token, Rsvp(data.response))
        return Response(schemas.RsvpRecorded.from_model(result.invitation))

    async def _answer_from_page(
        self, service: InvitationService, request: Request[Any, Any, Any], token: str, answer: Any
    ) -> Response[Any]:
        """The page's buttons: answer and go back to the page; a cancelled or past event shows the
        page again (with its notice), a value no button sends gets the page with a 422: never JSON."""
        try:
            invitation = await service.by_token(token)
        except NotFound:
            return invalid_link(request)
        if answer not in {Rsvp.ACCEPTED, Rsvp.TENTATIVE, Rsvp.DECLINED}:  # no button sends that
            return await _page("rsvp", service, invitation, token, status_code=422)
        if _state(invitation) != "open":
            return Redirect(f"/rsvp/{token}", status_code=303, headers=NO_STORE)
        try:
            await service.respond(token, Rsvp(answer))
        except Conflict:  # cancelled or over between the check above and the lock
            return Redirect(f"/rsvp/{token}", status_code=303, headers=NO_STORE)
        return Redirect(f"/rsvp/{token}?recorded=true", status_code=303, headers=NO_STORE)
