"""``{base_url}/p/{token}``: one page per stakeholder, in their language, listing their invitations
(with their answers), the comment rounds they take part in, their comments with the organisers'
answers, and a calendar feed of their events (``/p/{token}/calendar.ics``, offered as ``webcal://``).

The page leads to the RSVP and round pages through forms posting to ``/p/{token}/invitations/{id}``
and ``/p/{token}/rounds/{id}``: those mint a fresh personal link (tokens are stored only as digests,
so the page cannot show the ones the emails carried; a GET writes nothing) and redirect to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from consult.audit.recording import Actor, act_as
from consult.directory.links import person_of_link
from consult.directory.models import Person
from consult.events.calendar import build_feed
from consult.events.models import Event, EventStatus
from consult.invitations.mailing import calendar_event, calendar_organizer, new_rsvp_link
from consult.invitations.models import Invitation
from consult.mail.i18n import best_language, format_when
from consult.rounds.links import new_round_link
from consult.rounds.models import Comment, CommentRound, RoundInvitee
from consult.rounds.service import is_open
from consult.settings import Settings
from consult.web.pages import invalid_link, render_page

CALENDAR_TYPE = "text/calendar; charset=utf-8"


async def _invitations(session: AsyncSession, person: Person) -> list[Invitation]:
    """The person's invitations that stand (not withdrawn), the next event first, past ones after."""
    rows = await session.scalars(
        select(Invitation)
        .join(Event, Event.id == Invitation.event_id)
        .where(Invitation.person_id == person.id, Invitation.withdrawn_at.is_(None))
        .options(selectinload(Invitation.event).selectinload(Event.agenda))
        .order_by(Event.starts_at)
    )
    return list(rows)


def _invitation_view(
    invitation: Invitation, person: Person, language: str, now: dt.datetime
) -> dict[str, Any]:
    event = invitation.event
    cancelled = event.status is EventStatus.CANCELLED
    return {
        "id": invitation.id,
        "title": event.title,
        "when": format_when(event.starts_at, event.ends_at, person.timezone, language),
        "answer": invitation.rsvp.value,
        "waitlisted": invitation.waitlisted_at is not None,
        "cancelled": cancelled,
        "past": event.ends_at <= now,
    }


async def _rounds(session: AsyncSession, person: Person) -> list[CommentRound]:
    rows = await session.scalars(
        select(CommentRound)
        .join(RoundInvitee, RoundInvitee.round_id == CommentRound.id)
        .where(RoundInvitee.person_id == person.id)
        .order_by(CommentRound.closes_at.desc())
    )
    return list(rows)


async def _comments(session: AsyncSession, person: Person, language: str) -> list[dict[str, Any]]:
    """The person's own comments, newest first, each with the organisers' answer when there is one.
    (Replies by others are read on the round page, where consult.rounds.visibility decides.)"""
    rows = await session.execute(
        select(Comment, CommentRound.title)
        .join(CommentRound, CommentRound.id == Comment.round_id)
        .where(Comment.author_id == person.id, Comment.withdrawn_at.is_(None))
        .order_by(Comment.created_at.desc())
    )
    return [
        {
            "round_id": comment.round_id,
            "round_title": round_title,
            "created_at": comment.created_at.isoformat(),
            "created_on": format_datetime(
                comment.created_at, "d MMMM y, HH:mm", tzinfo=ZoneInfo(person.timezone), locale=language
            ),
            "body": comment.body,
            "decision": comment.decision.value if comment.decision else None,
            "rationale": comment.rationale,
        }
        for comment, round_title in rows.tuples()
    ]


FreshLink = Callable[[AsyncSession, Person, UUID, Settings], Awaitable[str | None]]


async def _fresh_rsvp_link(
    session: AsyncSession, person: Person, invitation_id: UUID, settings: Settings
) -> str | None:
    """The path of a new RSVP link to the person's invitation, or None when it is not theirs (or no
    longer: withdrawn since the page was opened)."""
    invitation = await session.scalar(
        select(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.person_id == person.id,
            Invitation.withdrawn_at.is_(None),
        )
        .options(selectinload(Invitation.event))
    )
    if invitation is None:
        return None
    return f"/rsvp/{new_rsvp_link(session.sync_session, invitation, settings)}"


async def _fresh_round_link(
    session: AsyncSession, person: Person, round_id: UUID, settings: Settings
) -> str | None:
    """The path of a new link to a comment round the person is invited to, or None."""
    rows = await session.execute(
        select(RoundInvitee, CommentRound)
        .join(CommentRound, CommentRound.id == RoundInvitee.round_id)
        .where(RoundInvitee.round_id == round_id, RoundInvitee.person_id == person.id)
    )
    found = rows.tuples().first()
    if found is None:
        return None
    invitee, round_ = found
    return new_round_link(session.sync_session, invitee, round_, settings).removeprefix(settings.app.base_url)


# What /p/{token}/{kind}/{id} hands out, by kind, and the kind of link the invalid-link page names
# when there is none to hand out (consult.web.pages.LINK_KINDS).
_FRESH_LINKS: dict[str, tuple[FreshLink, str]] = {
    "invitations": (_fresh_rsvp_link, "invitation"),
    "rounds": (_fresh_round_link, "round"),
}


class PersonalPageController(Controller):
    """The token in the path is the credential: it names one person and shows only what is theirs."""

    path = "/p/{token:str}"
    tags = ["personal page"]

    @get("/", media_type=MediaType.HTML)
    async def show(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str]:
        """The person's page, in their language; an unknown, expired or revoked link: 404 page."""
        person = await person_of_link(db_session, token)
        if person is None:
            return invalid_link(request)
        language = best_language(person.language.value)
        now = dt.datetime.now(dt.UTC)
        base_url: str = state.settings.app.base_url
        feed = f"{base_url}/p/{token}/calendar.ics"
        rounds = await _rounds(db_session, person)
        context = {
            "person_name": person.full_name,
            "token": token,
            "invitations": [
                _invitation_view(i, person, language, now) for i in await _invitations(db_session, person)
            ],
            "open_rounds": [r for r in rounds if is_open(r, now)],
            "upcoming_rounds": [r for r in rounds if now < r.opens_at],
            "past_rounds": [r for r in rounds if r.closes_at <= now],
            "round_dates": {
                r.id: format_when(r.opens_at, r.closes_at, person.timezone, language) for r in rounds
            },
            "comments": await _comments(db_session, person, language),
            "feed_url": feed,
            "webcal_url": "webcal://" + feed.split("://", 1)[1],
            "organiser_email": state.settings.mail.from_address,
        }
        return Response(render_page("personal", language, context), media_type=MediaType.HTML)

    @get("/calendar.ics", media_type=CALENDAR_TYPE)
    async def calendar(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[Any]:
        """The person's events as a calendar to subscribe to (METHOD:PUBLISH, one VEVENT per event)."""
        person = await person_of_link(db_session, token)
        if person is None:
            return invalid_link(request)
        invitations = await _invitations(db_session, person)
        ics = build_feed(
            [calendar_event(i.event) for i in invitations],
            name=person.full_name,
            organizer=calendar_organizer(state.settings),
        )
        return Response(ics, media_type=CALENDAR_TYPE)

    @post(["/invitations/{target_id:uuid}", "/rounds/{target_id:uuid}"], status_code=303)
    async def fresh_link(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        target_id: UUID,
    ) -> Response[str] | Redirect:
        """A fresh link to one of the person's invitations (its RSVP page) or comment rounds (its
        round page), and there; anything not theirs (or withdrawn) is the invalid-link page."""
        person = await person_of_link(db_session, token)
        if person is None:
            return invalid_link(request)
        # The path is /p/{token}/{kind}/{target_id}, and a token holds no "/".
        kind = request.url.path.rsplit("/", 2)[1]
        act_as(db_session, Actor.stakeholder(person.id))
        fresh_link, link_kind = _FRESH_LINKS[kind]
        path = await fresh_link(db_session, person, target_id, state.settings)
        if path is None:
            # The person is known: their language, and the invitation or round that is gone.
            return invalid_link(request, best_language(person.language.value), link_kind)
        await db_session.commit()
        return Redirect(path, status_code=303)
