"""Emails of scheduling polls, written by the worker: the invitation to answer, the reminder to those
who have not, and the decision to those who did. Every slot is shown in the event's zone and, when
its clock differs there, in the reader's. The reminder scan runs on beat's schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.mail.compose import Letter
from consult.mail.delivery import KindHandler
from consult.mail.i18n import best_language, format_in, format_moment, format_when
from consult.mail.letters import letter_to_person
from consult.mail.models import EmailKind, OutboundEmail
from consult.mail.outbox import enqueue, mail_domain
from consult.polls.links import new_poll_link
from consult.polls.models import PollInvitee, PollSlot, PollStatus, SchedulingPoll
from consult.settings import Settings

_TEMPLATES = {
    EmailKind.POLL_INVITATION: "poll_invitation",
    EmailKind.POLL_REMINDER: "poll_reminder",
    EmailKind.POLL_DECIDED: "poll_decided",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def slot_times(
    slot: PollSlot, poll: SchedulingPoll, reader_zone: str, language: str
) -> dict[str, str | None]:
    """A slot in the event's zone, and in the reader's when the clocks differ at that moment (a
    10:00 Vienna slot in April reads 12:00 in Baku; in Vienna itself it is said once)."""
    reader_offset = slot.starts_at.astimezone(ZoneInfo(reader_zone)).utcoffset()
    event_offset = slot.starts_at.astimezone(ZoneInfo(poll.timezone)).utcoffset()
    return {
        "event_time": format_when(slot.starts_at, slot.ends_at, poll.timezone, language),
        "reader_time": None
        if reader_offset == event_offset
        else format_when(slot.starts_at, slot.ends_at, reader_zone, language),
    }


def poll_context(poll: SchedulingPoll, reader_zone: str, language: str) -> dict[str, Any]:
    """What the poll's emails and its page show of it."""
    decided = next((s for s in poll.slots if s.id == poll.decided_slot_id), None)
    return {
        "poll": {
            "title": poll.title,
            "description": poll.description,
            "format": poll.format.value,
            "location": poll.location,
            "duration_minutes": poll.duration_minutes,
        },
        "slots": [
            {"id": str(slot.id), **slot_times(slot, poll, reader_zone, language)} for slot in poll.slots
        ],
        "closes": format_moment(poll.closes_at, reader_zone, language),
        "closes_in": format_in(poll.closes_at - _now(), language),
        "decided": slot_times(decided, poll, reader_zone, language) if decided else None,
    }


def compose(session: Session, rows: Sequence[OutboundEmail], settings: Settings) -> dict[UUID, Letter]:
    poll_ids = {UUID(row.context["poll_id"]) for row in rows}
    person_ids = {row.person_recipient for row in rows}
    invitees = {
        (i.poll_id, i.person_id): i
        for i in session.scalars(
            select(PollInvitee)
            .where(PollInvitee.poll_id.in_(poll_ids), PollInvitee.person_id.in_(person_ids))
            .options(joinedload(PollInvitee.person))
        )
    }
    polls = {p.id: p for p in session.scalars(select(SchedulingPoll).where(SchedulingPoll.id.in_(poll_ids)))}
    letters: dict[UUID, Letter] = {}
    now = _now()
    for row in rows:
        poll = polls.get(UUID(row.context["poll_id"]))
        invitee = invitees.get((poll.id, row.person_recipient)) if poll else None
        if poll is None or invitee is None:
            continue
        asks = row.kind is not EmailKind.POLL_DECIDED
        if asks and (poll.status is not PollStatus.OPEN or poll.closes_at <= now):
            continue  # closed or decided before this email went out: nothing left to ask
        person = invitee.person
        language = best_language(person.language.value)
        context = {
            **poll_context(poll, person.timezone, language),
            "person_name": person.full_name,
            "link": new_poll_link(session, invitee, poll, settings) if asks else None,
        }
        letters[row.id] = letter_to_person(
            session, settings, row, person, _TEMPLATES[row.kind], language, context
        )
    return letters


# The poll emails the workers send; registered by consult.email_kinds.
EMAIL_KINDS = dict.fromkeys(_TEMPLATES, KindHandler(compose=compose))


def queue_poll_reminders(session: Session, settings: Settings) -> list[UUID]:
    """Once per invitee, remind those who have not answered a poll that closes within the reminder
    window. People invited after the window opened are left alone: their invitation is recent and
    already says when the poll closes."""
    now = _now()
    window = dt.timedelta(hours=settings.polls.reminder_hours_before_close)
    invitees = session.scalars(
        select(PollInvitee)
        .join(SchedulingPoll, SchedulingPoll.id == PollInvitee.poll_id)
        .where(
            SchedulingPoll.status == PollStatus.OPEN,
            SchedulingPoll.closes_at > now,
            SchedulingPoll.closes_at <= now + window,
            PollInvitee.answered_at.is_(None),
            PollInvitee.reminder_queued_at.is_(None),
        )
        .options(joinedload(PollInvitee.poll))
        .with_for_update(of=PollInvitee, skip_locked=True)
    ).all()
    domain = mail_domain(settings.mail.from_address)
    queued = []
    for invitee in invitees:
        if invitee.created_at > invitee.poll.closes_at - window:
            continue
        invitee.reminder_queued_at = now
        row = enqueue(
            session,
            kind=EmailKind.POLL_REMINDER,
            person_id=invitee.person_id,
            domain=domain,
            context={"poll_id": str(invitee.poll_id)},
            in_reply_to=invitee.thread_message_id,
        )
        queued.append(row.id)
    session.flush()
    return queued
