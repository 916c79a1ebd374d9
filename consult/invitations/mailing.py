"""Worker side of invitation emails: the letters (with their calendar parts), delivery state on
the invitation, and the reminder scan. Runs in Celery workers on a synchronous session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from consult.auth.tokens import new_token, token_digest
from consult.events.calendar import (
    AgendaLine,
    Attendee,
    CalendarEvent,
    Method,
    Party,
    Wording,
    build_calendar,
    describe,
)
from consult.events.models import Event, EventStatus
from consult.invitations.checkin import carries_code, checkin_code, qr_png
from consult.invitations.models import DeliveryState, Invitation, InvitationRole, ReminderSent, Rsvp, RsvpLink
from consult.invitations.service import email_invitee
from consult.mail.compose import CalendarPart, InlineImage, Letter
from consult.mail.delivery import KindHandler
from consult.mail.i18n import best_language, format_in, format_time, format_when, gettext, zone_label
from consult.mail.letters import letter_to_person
from consult.mail.models import EmailKind, OutboundEmail, OutboxState
from consult.mail.outbox import mail_domain
from consult.mail.replies import UNSUBSCRIBABLE
from consult.settings import Settings

RSVP_PREFIX = "rsvp_"

_ICAL_ROLES = {
    InvitationRole.CHAIR: "CHAIR",
    InvitationRole.OPTIONAL: "OPT-PARTICIPANT",
    InvitationRole.PARTICIPANT: "REQ-PARTICIPANT",
    InvitationRole.SPEAKER: "REQ-PARTICIPANT",
}


@dataclass(frozen=True)
class _KindSpec:
    template: str
    method: Method | None  # the iTIP method of the calendar part, None for no calendar
    rsvp_buttons: bool
    checkin: bool = False  # carries the check-in code (an in-person or hybrid event)


_SPECS = {
    EmailKind.INVITATION: _KindSpec("invitation", Method.REQUEST, True, checkin=True),
    EmailKind.EVENT_UPDATE: _KindSpec("event_update", Method.REQUEST, True, checkin=True),
    EmailKind.EVENT_CANCELLED: _KindSpec("event_cancelled", Method.CANCEL, False),
    EmailKind.UNINVITED: _KindSpec("uninvited", Method.CANCEL, False),
    EmailKind.REMINDER: _KindSpec("reminder", None, True, checkin=True),
    EmailKind.WAITLISTED: _KindSpec("waitlisted", None, False),
    EmailKind.WAITLIST_PROMOTED: _KindSpec("waitlist_promoted", None, False),
}


def calendar_organizer(settings: Settings) -> Party:
    """ORGANIZER of every calendar we send: the address that receives the calendar replies."""
    return Party(email=settings.mail.from_address, name=settings.mail.from_name)


def calendar_event(event: Event) -> CalendarEvent:
    return CalendarEvent(
        uid=event.ical_uid,
        sequence=event.ical_sequence,
        title=event.title,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=event.location,
        online_url=event.online_url,
        cancelled=event.status is EventStatus.CANCELLED,
        agenda=[AgendaLine(i.starts_at, i.title, i.speaker) for i in event.agenda],
        timezone=event.timezone,
    )


def reader_description(event: CalendarEvent, language: str, rsvp_links: dict[str, str] | None) -> str:
    """The calendar entry's DESCRIPTION for one reader: the email's labels in their language, the
    agenda on the event's local clock with its zone named (as the email body shows it)."""
    wording = Wording(
        join_online=gettext(language, "Join online:"),
        agenda_heading=f"{gettext(language, 'Agenda')} ({zone_label(event.timezone, language)}):",
        clock=lambda value: format_time(value, event.timezone, language),
    )
    reply = [f"{gettext(language, 'Reply')}: {rsvp_links['accepted']}"] if rsvp_links else []
    return describe(event, reply, wording)


def _same_offset(zone_a: str, zone_b: str, at: dt.datetime) -> bool:
    return at.astimezone(ZoneInfo(zone_a)).utcoffset() == at.astimezone(ZoneInfo(zone_b)).utcoffset()


def event_context(event: Event, zone: str, language: str) -> dict[str, Any]:
    """What every event email and the RSVP page show: the event in its own zone and the reader's."""
    return {
        "event": {
            "title": event.title,
            "description": event.description,
            "location": event.location,
            "online_url": event.online_url,
            "format": event.format.value,
        },
        "when_event": format_when(event.starts_at, event.ends_at, event.timezone, language),
        "when_recipient": None
        if _same_offset(zone, event.timezone, event.starts_at)
        else format_when(event.starts_at, event.ends_at, zone, language),
        "agenda": [
            {
                "time": format_time(i.starts_at, event.timezone, language),
                "title": i.title,
                "speaker": i.speaker,
            }
            for i in event.agenda
        ],
    }


def rsvp_links(base_url: str, token: str) -> dict[str, str]:
    return {
        answer: f"{base_url}/rsvp/{token}?answer={answer}" for answer in ("accepted", "tentative", "declined")
    }


def new_rsvp_link(session: Session, invitation: Invitation, settings: Settings) -> str:
    token = new_token(RSVP_PREFIX)
    expires_at = invitation.event.ends_at + dt.timedelta(days=settings.events.rsvp_link_days_after_event)
    session.add(RsvpLink(invitation_id=invitation.id, token_hash=token_digest(token), expires_at=expires_at))
    return token


def _letter(
    session: Session, row: OutboundEmail, invitation: Invitation, settings: Settings
) -> Letter | None:
    spec = _SPECS[row.kind]
    event, person = invitation.event, invitation.person
    if event.status is EventStatus.CANCELLED and spec.method is not Method.CANCEL:
        return None  # cancelled before this email went out: only the cancellation is worth sending
    language = best_language(person.language.value)
    context: dict[str, Any] = {
        **event_context(event, person.timezone, language),
        "person_name": person.full_name,
        "rsvp": invitation.rsvp.value,
        "rsvp_links": None,
        "changes": [gettext(language, label) for label in row.context.get("changes", [])],
        "reason": row.context.get("reason"),
        "starts_in": format_in(event.starts_at - dt.datetime.now(dt.UTC), language),
        "checkin": None,
    }
    wants_answer = spec.rsvp_buttons and (
        row.kind is not EmailKind.REMINDER or invitation.rsvp is Rsvp.NEEDS_ACTION
    )
    if wants_answer:
        context["rsvp_links"] = rsvp_links(
            settings.app.base_url, new_rsvp_link(session, invitation, settings)
        )
    images: tuple[InlineImage, ...] = ()
    if spec.checkin and carries_code(event.format) and invitation.withdrawn_at is None:
        code = checkin_code(settings.app.secret_key, invitation.id)
        content_id = f"checkin.{row.id}@{mail_domain(settings.mail.from_address)}"
        context["checkin"] = {"code": code, "qr": f"cid:{content_id}"}
        images = (InlineImage(content_id, qr_png(code), "check-in.png"),)
    organizer = calendar_organizer(settings)
    calendar = None
    if spec.method is not None:
        ics = build_calendar(
            calendar_event(event),
            spec.method,
            organizer=organizer,
            attendee=Attendee(
                email=person.email,
                name=person.full_name,
                role=_ICAL_ROLES[invitation.role],
                partstat=invitation.rsvp.partstat,
            ),
            description=reader_description(calendar_event(event), language, context["rsvp_links"]),
        )
        calendar = CalendarPart(method=spec.method.value, ics=ics)
    return letter_to_person(
        session, settings, row, person, spec.template, language, context, calendar=calendar, images=images
    )


def compose(session: Session, rows: Sequence[OutboundEmail], settings: Settings) -> dict[UUID, Letter]:
    ids = {row.invitation_id for row in rows if row.invitation_id}
    invitations = {
        inv.id: inv
        for inv in session.scalars(
            select(Invitation)
            .where(Invitation.id.in_(ids))
            .options(
                joinedload(Invitation.person),
                joinedload(Invitation.event).selectinload(Event.agenda),
            )
        ).unique()
    }
    letters: dict[UUID, Letter] = {}
    for row in rows:
        invitation = invitations.get(row.invitation_id) if row.invitation_id else None
        if invitation is None:
            continue
        letter = _letter(session, row, invitation, settings)
        if letter is not None:
            letters[row.id] = letter
    return letters


_invitations = cast(Table, Invitation.__table__)
_DELIVERY = (
    update(_invitations)
    .where(_invitations.c.id == bindparam("invitation"))
    .values(
        delivery_state=bindparam("delivery_state"),
        delivery_error=bindparam("delivery_error"),
        last_sent_at=func.coalesce(bindparam("sent_at"), _invitations.c.last_sent_at),
    )
)
_DELIVERY_STATES = {
    OutboxState.SENT: DeliveryState.SENT,
    OutboxState.FAILED: DeliveryState.FAILED,
    # Invitations, updates and cancellations are held back only for an address that bounced.
    OutboxState.SUPPRESSED: DeliveryState.BOUNCED,
}


def on_result(session: Session, rows: Sequence[OutboundEmail]) -> None:
    """Each invitation shows how its latest email fared; a retry keeps it queued, with the error. A
    reminder held back (unsubscribed, or bounced before) leaves it as the invitation itself fared."""
    params = [
        {
            "invitation": row.invitation_id,
            "delivery_state": _DELIVERY_STATES.get(row.state, DeliveryState.QUEUED),
            "delivery_error": row.last_error,
            "sent_at": row.sent_at if row.state is OutboxState.SENT else None,
        }
        for row in rows
        if row.invitation_id is not None
        and not (row.state is OutboxState.SUPPRESSED and row.kind in UNSUBSCRIBABLE)
    ]
    if params:
        session.connection().execute(_DELIVERY, params)


# The invitation emails the workers send; registered by consult.email_kinds.
EMAIL_KINDS = dict.fromkeys(_SPECS, KindHandler(compose=compose, on_result=on_result))


def queue_due_reminders(session: Session, settings: Settings, now: dt.datetime | None = None) -> list[UUID]:
    """Queue the reminders that are due, at most one per invitation, offset and event start.

    Only the most imminent due reminder goes out: an invitation that was late for the one-day
    reminder (beat was down, or the event moved closer) gets the one-hour one, not both. A moved
    event starts afresh, since the rows are keyed by the event's start.
    """
    now = now or dt.datetime.now(dt.UTC)
    offsets = sorted(settings.events.reminder_offsets_minutes)
    if not offsets:
        return []
    events = session.scalars(
        select(Event).where(
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at > now,
            Event.starts_at <= now + dt.timedelta(minutes=offsets[-1]),
        )
    ).all()
    queued: list[OutboundEmail] = []
    for event in events:
        due = [o for o in offsets if now >= event.starts_at - dt.timedelta(minutes=o)]
        if not due:
            continue
        done = {
            (inv_id, offset)
            for inv_id, offset in session.execute(
                select(ReminderSent.invitation_id, ReminderSent.offset_minutes)
                .join(Invitation, Invitation.id == ReminderSent.invitation_id)
                .where(Invitation.event_id == event.id, ReminderSent.event_starts_at == event.starts_at)
            ).tuples()
        }
        invitations = session.scalars(
            select(Invitation).where(
                Invitation.event_id == event.id,
                Invitation.withdrawn_at.is_(None),
                Invitation.rsvp.in_([Rsvp.ACCEPTED, Rsvp.NEEDS_ACTION]),
                Invitation.waitlisted_at.is_(None),
            )
        ).all()
        # Mail about an invitation counts from when it was queued: an invitation still waiting in the
        # outbox has no last_sent_at yet, and a reminder must not follow right behind it.
        last_queued = dict(
            session.execute(
                select(OutboundEmail.invitation_id, func.max(OutboundEmail.created_at))
                .join(Invitation, Invitation.id == OutboundEmail.invitation_id)
                .where(Invitation.event_id == event.id)
                .group_by(OutboundEmail.invitation_id)
            )
            .tuples()
            .all()
        )
        recently = now - dt.timedelta(minutes=due[0] / 2)
        for invitation in invitations:
            if (invitation.id, due[0]) in done:
                continue
            # Someone we wrote to recently (the invitation itself, or the update that moved the
            # event) hears from us again only once that mail is older than half the offset.
            last_contact = max(
                filter(None, (invitation.last_sent_at, last_queued.get(invitation.id))), default=None
            )
            if last_contact and last_contact > recently:
                continue
            for offset in due:
                if (invitation.id, offset) not in done:
                    session.add(
                        ReminderSent(
                            invitation_id=invitation.id,
                            offset_minutes=offset,
                            event_starts_at=event.starts_at,
                        )
                    )
            queued.append(
                email_invitee(
                    session,
                    invitation,
                    EmailKind.REMINDER,
                    mail_domain(settings.mail.from_address),
                    context={"offset_minutes": due[0]},
                )
            )
    session.flush()
    return [row.id for row in queued]
