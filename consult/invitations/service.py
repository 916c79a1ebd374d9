"""Invitations: who is invited, what they answered, and which emails that causes.

Every email goes through the outbox in the same transaction as the change that causes it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, contains_eager, joinedload

from consult.audit.recording import Actor, act_as
from consult.auth.tokens import token_digest
from consult.crud import get_or_404, page_of, rows_by_person
from consult.directory.audience import expand_audience
from consult.directory.models import Organisation, Person
from consult.errors import Conflict, NotFound
from consult.events.hooks import EventHooks
from consult.events.models import Event, EventStatus
from consult.events.service import EventChange
from consult.invitations import schemas
from consult.invitations.models import Invitation, Rsvp, RsvpLink
from consult.mail.models import EmailKind, OutboundEmail
from consult.mail.outbox import enqueue, mail_domain
from consult.pagination import PageParams
from consult.settings import Settings

# A change of these asks everyone again (as Google Calendar and Outlook do): accepted and tentative
# answers go back to needs_action and the update asks for a new one; declined stays declined. A new
# meeting link alone keeps the answers.
ASKS_AGAIN = frozenset({"starts_at", "ends_at", "location", "format"})

# Readable names of the schedule fields, carried into the update email (localised there).
CHANGE_LABELS = {
    "starts_at": "time",
    "ends_at": "time",
    "format": "format",
    "location": "place",
    "online_url": "meeting link",
}


def _active() -> ColumnElement[bool]:
    return Invitation.withdrawn_at.is_(None)


def _confirmed() -> ColumnElement[bool]:
    return and_(Invitation.rsvp == Rsvp.ACCEPTED, Invitation.waitlisted_at.is_(None), _active())


def email_invitee(
    session: AsyncSession | Session,
    invitation: Invitation,
    kind: EmailKind,
    domain: str,
    context: dict[str, Any] | None = None,
) -> OutboundEmail:
    """Queue an email about the invitation, threaded under the first invitation email."""
    return enqueue(
        session,
        kind=kind,
        person_id=invitation.person_id,
        invitation_id=invitation.id,
        domain=domain,
        context=context,
        in_reply_to=invitation.thread_message_id,
    )


# Who came, by invitation id: attendance sits above invitations (it reads them), so it hands this
# to the invitation list when the app is assembled (``attendance_of`` in the app's state).
AttendanceOf = Callable[[AsyncSession, Sequence[UUID]], Awaitable[dict[UUID, schemas.InvitationAttendance]]]


@dataclass(frozen=True)
class RsvpResult:
    invitation: Invitation
    changed: bool


class InvitationService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.domain = mail_domain(settings.mail.from_address)

    async def _event_open_for_invitations(self, event_id: UUID) -> Event:
        event = await get_or_404(self.session, Event, event_id, "event")
        if event.status is EventStatus.CANCELLED:
            raise Conflict("the event is cancelled")
        if event.ends_at <= dt.datetime.now(dt.UTC):
            raise Conflict("the event is over")
        return event

    async def invite(self, event_id: UUID, data: schemas.InviteRequest) -> schemas.InviteResult:
        event = await self._event_open_for_invitations(event_id)
        person_ids = await expand_audience(self.session, data)
        existing_rows = await rows_by_person(
            self.session, Invitation, Invitation.event_id == event.id, person_ids
        )
        created: list[Invitation] = []
        existing: list[Invitation] = []
        for person_id in person_ids:
            invitation = existing_rows.get(person_id)
            if invitation is not None and invitation.withdrawn_at is None:
                existing.append(invitation)
                continue
            if invitation is None:
                invitation = Invitation(event_id=event.id, person_id=person_id, role=data.role)
                self.session.add(invitation)
            else:  # invited again after being withdrawn: a fresh start
                invitation.withdrawn_at = None
                invitation.rsvp = Rsvp.NEEDS_ACTION
                invitation.responded_at = None
                invitation.role = data.role
            invitation.answer_sequence = event.ical_sequence
            created.append(invitation)
        await self.session.flush()
        for invitation in created:
            row = email_invitee(self.session, invitation, EmailKind.INVITATION, self.domain)
            invitation.thread_message_id = row.message_id
        await self.session.flush()
        emails = dict(
            (await self.session.execute(select(Person.id, Person.email).where(Person.id.in_(person_ids))))
            .tuples()
            .all()
        )

        def brief(inv: Invitation) -> schemas.InvitationBrief:
            return schemas.InvitationBrief(
                id=inv.id, person_id=inv.person_id, email=emails[inv.person_id], rsvp=inv.rsvp
            )

        return schemas.InviteResult(
            created=[brief(i) for i in created],
            existing=[brief(i) for i in existing],
            created_count=len(created),
            existing_count=len(existing),
        )

    async def list(
        self, event: Event, page: PageParams, *, rsvp: Rsvp | None, include_withdrawn: bool
    ) -> tuple[list[Invitation], int]:
        """The event's invitations by the invitee's name, each with its person and organisation."""
        stmt = (
            select(Invitation)
            .join(Invitation.person)
            .outerjoin(Person.organisation)
            .options(contains_eager(Invitation.person).contains_eager(Person.organisation))
            .where(Invitation.event_id == event.id)
            .order_by(Person.full_name, Invitation.id)
        )
        if not include_withdrawn:
            stmt = stmt.where(_active())
        if rsvp:
            stmt = stmt.where(Invitation.rsvp == rsvp)
        return await page_of(self.session, stmt, page)

    async def counts(self, event: Event) -> schemas.InvitationCounts:
        rows = (
            await self.session.execute(
                select(
                    Invitation.rsvp,
                    Invitation.delivery_state,
                    Invitation.waitlisted_at.is_not(None),
                    Organisation.kind,
                    func.count(),
                )
                .join(Person, Person.id == Invitation.person_id)
                .outerjoin(Organisation, Organisation.id == Person.organisation_id)
                .where(Invitation.event_id == event.id, _active())
                .group_by(
                    Invitation.rsvp,
                    Invitation.delivery_state,
                    Invitation.waitlisted_at.is_not(None),
                    Organisation.kind,
                )
            )
        ).all()
        by_rsvp: Counter[str] = Counter({r.value: 0 for r in Rsvp})
        by_delivery: Counter[str] = Counter()
        by_kind: dict[str, Counter[str]] = {}
        waitlisted = 0
        for rsvp, delivery, is_waitlisted, kind, count in rows:
            by_rsvp[rsvp.value] += count
            by_delivery[delivery.value] += count
            kind_counts = by_kind.setdefault(kind.value if kind else "none", Counter())
            kind_counts["invited"] += count
            kind_counts[rsvp.value] += count
            waitlisted += count if is_waitlisted else 0
        return schemas.InvitationCounts(
            by_rsvp=dict(by_rsvp),
            by_delivery=dict(by_delivery),
            by_organisation_kind={k: dict(v) for k, v in sorted(by_kind.items())},
            waitlisted=waitlisted,
            confirmed=by_rsvp[Rsvp.ACCEPTED.value] - waitlisted,
            capacity=event.capacity,
        )

    async def uninvite(self, event_id: UUID, invitation_id: UUID) -> None:
        invitation = await self.session.get(Invitation, invitation_id)
        if invitation is None or invitation.event_id != event_id or invitation.withdrawn_at is not None:
            raise NotFound(f"invitation {invitation_id} does not exist for event {event_id}")
        event = await self._locked_event(event_id)
        held_a_place = invitation.rsvp is Rsvp.ACCEPTED and invitation.waitlisted_at is None
        invitation.withdrawn_at = dt.datetime.now(dt.UTC)
        invitation.waitlisted_at = None
        if event.status is EventStatus.SCHEDULED:
            event.ical_sequence += 1
            email_invitee(self.session, invitation, EmailKind.UNINVITED, self.domain)
            if held_a_place:
                await self.fill_free_places(event)
        await self.session.flush()

    async def _locked_event(self, event_id: UUID) -> Event:
        """The event row locked for the transaction, so concurrent answers cannot overbook it."""
        event = await self.session.scalar(
            select(Event)
            .where(Event.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if event is None:
            raise NotFound(f"event {event_id} does not exist")
        return event

    async def notify_change(self, change: EventChange) -> None:
        """A new time, place or link goes to everyone invited who has not declined; a new time or
        place asks them again (see ASKS_AGAIN)."""
        if change.changed & ASKS_AGAIN:
            await self._ask_again(change.event)
        if change.reschedules:
            labels = sorted({CHANGE_LABELS[f] for f in change.changed if f in CHANGE_LABELS})
            await self._notify_all(
                change.event, EmailKind.EVENT_UPDATE, {"changes": labels}, Invitation.rsvp != Rsvp.DECLINED
            )
        if "capacity" in change.changed:
            await self.fill_free_places(await self._locked_event(change.event.id))

    async def _ask_again(self, event: Event) -> None:
        """Earlier acceptances (waiting list included) and maybes answered other details: they go
        back to needs_action, so the API, the RSVP page and the update's calendar (PARTSTAT) agree;
        calendar replies to the earlier SEQUENCE no longer count. Places are taken again in the
        order of the new answers."""
        active = and_(Invitation.event_id == event.id, _active())
        await self.session.execute(
            update(Invitation).where(active).values(answer_sequence=event.ical_sequence)
        )
        await self.session.execute(
            update(Invitation)
            .where(active, Invitation.rsvp.in_([Rsvp.ACCEPTED, Rsvp.TENTATIVE]))
            .values(rsvp=Rsvp.NEEDS_ACTION, responded_at=None, waitlisted_at=None)
        )

    async def notify_cancelled(self, event: Event) -> None:
        await self._notify_all(
            event, EmailKind.EVENT_CANCELLED, {"reason": event.cancellation_reason}, true()
        )

    async def _notify_all(
        self, event: Event, kind: EmailKind, context: dict[str, object], condition: ColumnElement[bool]
    ) -> None:
        invitations = (
            await self.session.scalars(
                select(Invitation).where(Invitation.event_id == event.id, _active(), condition)
            )
        ).all()
        for invitation in invitations:
            email_invitee(self.session, invitation, kind, self.domain, context=dict(context))
        await self.session.flush()

    async def fill_free_places(self, event: Event) -> None:
        """Promote the first people on the waiting list into places that are free, and tell them."""
        free: int | None = None
        if event.capacity is not None and event.format.needs_venue:
            free = max(event.capacity - await self._confirmed_count(event), 0)
            if free == 0:
                return
        waiting = (
            select(Invitation)
            .where(Invitation.event_id == event.id, _active(), Invitation.waitlisted_at.is_not(None))
            .order_by(Invitation.waitlisted_at, Invitation.id)
            .limit(free)
        )
        for invitation in (await self.session.scalars(waiting)).all():
            invitation.waitlisted_at = None
            email_invitee(self.session, invitation, EmailKind.WAITLIST_PROMOTED, self.domain)
        await self.session.flush()

    async def _confirmed_count(self, event: Event) -> int:
        confirmed = await self.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.event_id == event.id, _confirmed())
        )
        return int(confirmed or 0)

    async def by_token(self, token: str) -> Invitation:
        invitation = await self.session.scalar(
            select(Invitation)
            .join(RsvpLink, RsvpLink.invitation_id == Invitation.id)
            .where(
                RsvpLink.token_hash == token_digest(token),
                RsvpLink.expires_at > dt.datetime.now(dt.UTC),
                _active(),
            )
            .options(joinedload(Invitation.event), joinedload(Invitation.person))
        )
        if invitation is None:
            raise NotFound("this link is unknown or has expired")
        return invitation

    async def respond(self, token: str, response: Rsvp) -> RsvpResult:
        invitation = await self.by_token(token)
        act_as(self.session, Actor.stakeholder(invitation.person_id))  # the link's holder answers
        return await self.respond_to(invitation, response)

    async def respond_to(self, invitation: Invitation, response: Rsvp) -> RsvpResult:
        """Record an answer (from the RSVP page, the API or a calendar reply by email), keeping the
        waiting list: a full in-person event puts an acceptance on it, a freed place promotes the next."""
        event = await self._locked_event(invitation.event_id)
        await self.session.refresh(invitation)  # read again now that answers to this event are serialised
        if event.status is EventStatus.CANCELLED:
            raise Conflict("the event has been cancelled")
        if event.ends_at <= dt.datetime.now(dt.UTC):
            raise Conflict("the event is over")
        if invitation.rsvp is response:
            return RsvpResult(invitation=invitation, changed=False)
        held_a_place = invitation.rsvp is Rsvp.ACCEPTED and invitation.waitlisted_at is None
        # Count the places before this answer changes anything (autoflush would count it).
        must_wait = response is Rsvp.ACCEPTED and await self.is_full(event)
        invitation.rsvp = response
        invitation.responded_at = dt.datetime.now(dt.UTC)
        invitation.waitlisted_at = None
        if must_wait:
            invitation.waitlisted_at = invitation.responded_at
            email_invitee(self.session, invitation, EmailKind.WAITLISTED, self.domain)
        await self.session.flush()
        if held_a_place and response is not Rsvp.ACCEPTED:
            await self.fill_free_places(event)
        return RsvpResult(invitation=invitation, changed=True)

    async def is_full(self, event: Event) -> bool:
        """Places are counted only for events people attend in person."""
        if event.capacity is None or not event.format.needs_venue:
            return False
        return await self._confirmed_count(event) >= event.capacity


async def revoke_rsvp_links(session: AsyncSession, person_id: UUID) -> int:
    """Cut every RSVP link sent to the person, for every event; returns how many there were. (Their
    answers stay; mail sent later carries fresh links.)"""
    result = await session.execute(
        delete(RsvpLink).where(
            RsvpLink.invitation_id.in_(select(Invitation.id).where(Invitation.person_id == person_id))
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def listen_to_events(hooks: EventHooks) -> None:
    """Invitees hear of a new time, place or link, and of a cancellation (consult.app connects this)."""
    hooks.changed.connect(
        lambda session, settings, change: InvitationService(session, settings).notify_change(change)
    )
    hooks.cancelled.connect(
        lambda session, settings, event: InvitationService(session, settings).notify_cancelled(event)
    )
