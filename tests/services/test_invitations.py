"""Invitation rules, on the service: who gets which email (as outbox rows in the same transaction),
inviting twice, withdrawing and inviting again, and the waiting list of a full event."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from consult.directory.models import Person
from consult.errors import Conflict, NotFound
from consult.events import schemas as event_schemas
from consult.events.models import EventFormat, EventKind
from consult.events.service import ConsultationService, EventService
from consult.invitations.mailing import queue_due_reminders
from consult.invitations.models import Invitation, Rsvp
from consult.invitations.schemas import InviteRequest
from consult.invitations.service import InvitationService
from consult.mail.models import EmailKind, OutboundEmail

pytestmark = pytest.mark.anyio

NAMES = ["Anna Gruber", "Luc Dubois", "Ирина Петрова"]


def in_days(days: int, hour: int) -> dt.datetime:
    """Wall-clock time in Baku, ``days`` from today."""
    return dt.datetime.combine(dt.date.today() + dt.timedelta(days=days), dt.time(hour))


@pytest.fixture
async def people(db_session) -> list[Person]:
    found = [Person(full_name=name, email=f"person{i}@example.org") for i, name in enumerate(NAMES)]
    db_session.add_all(found)
    await db_session.flush()
    return found


@pytest.fixture
def make_event(db_session):
    async def make(days: int = 30, **overrides):
        consultation = await ConsultationService(db_session).create(
            event_schemas.ConsultationCreate(title="Migrant integration strategy")
        )
        data = {
            "consultation_id": consultation.id,
            "kind": EventKind.WORKSHOP,
            "format": EventFormat.IN_PERSON,
            "title": "Workshop",
            "timezone": "Asia/Baku",
            "starts_at": in_days(days, 10),
            "ends_at": in_days(days, 16),
            "location": "Hilton Baku",
            **overrides,
        }
        return await EventService(db_session).create(event_schemas.EventCreate(**data))

    return make


@pytest.fixture
def invitations(db_session, settings) -> InvitationService:
    return InvitationService(db_session, settings)


async def outbox(db_session) -> list[tuple[EmailKind, uuid.UUID]]:
    """The emails queued so far, as (kind, recipient), in order."""
    rows = await db_session.execute(
        select(OutboundEmail.kind, OutboundEmail.person_id).order_by(OutboundEmail.id)
    )
    return [tuple(row) for row in rows]


async def invitation_of(db_session, event, person) -> Invitation:
    found = await db_session.scalar(
        select(Invitation).where(Invitation.event_id == event.id, Invitation.person_id == person.id)
    )
    assert found is not None
    return found


async def test_each_new_invitee_gets_one_invitation_email_threaded_under_it(
    db_session, people, make_event, invitations
):
    event = await make_event()
    ids = [p.id for p in people]
    first = await invitations.invite(event.id, InviteRequest(person_ids=ids[:2]))
    assert (first.created_count, first.existing_count) == (2, 0)
    again = await invitations.invite(event.id, InviteRequest(person_ids=ids))
    assert (again.created_count, again.existing_count) == (1, 2)
    assert await outbox(db_session) == [(EmailKind.INVITATION, p.id) for p in people]
    rows = (await db_session.scalars(select(OutboundEmail))).all()
    threads = {i.person_id: i.thread_message_id for i in (await db_session.scalars(select(Invitation))).all()}
    assert {row.person_id: row.message_id for row in rows} == threads


async def test_withdrawn_then_invited_again_starts_afresh(db_session, people, make_event, invitations):
    event = await make_event()
    anna = people[0]
    await invitations.invite(event.id, InviteRequest(person_ids=[anna.id]))
    invitation = await invitation_of(db_session, event, anna)
    await invitations.respond_to(invitation, Rsvp.DECLINED)
    await invitations.uninvite(event.id, invitation.id)
    assert event.ical_sequence == 1  # the withdrawn invitee's calendar gets a CANCEL
    with pytest.raises(NotFound):
        await invitations.uninvite(event.id, invitation.id)
    again = await invitations.invite(event.id, InviteRequest(person_ids=[anna.id]))
    assert again.created_count == 1
    assert (invitation.rsvp, invitation.withdrawn_at, invitation.responded_at) == (
        Rsvp.NEEDS_ACTION,
        None,
        None,
    )
    assert [kind for kind, _ in await outbox(db_session)] == [
        EmailKind.INVITATION,
        EmailKind.UNINVITED,
        EmailKind.INVITATION,
    ]


async def test_no_invitations_to_a_cancelled_or_past_event(db_session, people, make_event, invitations):
    cancelled = await make_event()
    await EventService(db_session).cancel(cancelled.id, "The venue is closed")
    past = await make_event(days=-2)
    for event in (cancelled, past):
        with pytest.raises(Conflict):
            await invitations.invite(event.id, InviteRequest(person_ids=[people[0].id]))
    assert await outbox(db_session) == []


async def test_a_full_event_keeps_a_waiting_list_in_order(db_session, people, make_event, invitations):
    event = await make_event(capacity=1)
    await invitations.invite(event.id, InviteRequest(person_ids=[p.id for p in people]))
    anna, luc, irina = [await invitation_of(db_session, event, p) for p in people]

    assert (await invitations.respond_to(anna, Rsvp.ACCEPTED)).invitation.waitlisted_at is None
    assert (await invitations.respond_to(luc, Rsvp.ACCEPTED)).invitation.waitlisted_at is not None
    assert (await invitations.respond_to(irina, Rsvp.ACCEPTED)).invitation.waitlisted_at is not None
    assert not (await invitations.respond_to(irina, Rsvp.ACCEPTED)).changed  # the same answer again

    await invitations.respond_to(anna, Rsvp.DECLINED)  # a place frees up: the first in line gets it
    assert (luc.waitlisted_at, irina.waitlisted_at is not None) == (None, True)
    queued = [(kind, who) for kind, who in await outbox(db_session) if kind is not EmailKind.INVITATION]
    assert queued == [
        (EmailKind.WAITLISTED, luc.person_id),
        (EmailKind.WAITLISTED, irina.person_id),
        (EmailKind.WAITLIST_PROMOTED, luc.person_id),
    ]


async def test_places_are_counted_only_for_events_attended_in_person(
    db_session, people, make_event, invitations
):
    event = await make_event(
        capacity=1, format=EventFormat.ONLINE, location=None, online_url="https://meet.example.org/ws"
    )
    await invitations.invite(event.id, InviteRequest(person_ids=[p.id for p in people[:2]]))
    for person in people[:2]:
        answered = await invitations.respond_to(await invitation_of(db_session, event, person), Rsvp.ACCEPTED)
        assert answered.invitation.waitlisted_at is None


async def test_a_new_time_or_place_goes_to_everyone_who_has_not_declined(
    db_session, people, make_event, invitations
):
    event = await make_event()
    await invitations.invite(event.id, InviteRequest(person_ids=[p.id for p in people]))
    await invitations.respond_to(await invitation_of(db_session, event, people[1]), Rsvp.DECLINED)
    change = await EventService(db_session).update(
        event.id,
        event_schemas.EventPatch(
            starts_at=in_days(30, 11), ends_at=in_days(30, 17), location="ADA University"
        ),
    )
    await invitations.notify_change(change)
    updates = (
        await db_session.scalars(select(OutboundEmail).where(OutboundEmail.kind == EmailKind.EVENT_UPDATE))
    ).all()
    assert sorted(row.person_id for row in updates) == sorted([people[0].id, people[2].id])
    assert all(row.context == {"changes": ["place", "time"]} for row in updates)

    retitled = await EventService(db_session).update(event.id, event_schemas.EventPatch(title="Workshop II"))
    await invitations.notify_change(retitled)  # nothing in the calendar changed: no email
    assert len(await outbox(db_session)) == len(people) + len(updates)


async def test_no_reminder_right_behind_an_invitation_still_in_the_outbox(
    db_session, people, make_event, invitations, settings
):
    """A reminder scan between an invitation's queuing and its sending holds back: the invitation has
    no last_sent_at yet, but it was queued moments ago."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    event = await make_event(starts_at=now + dt.timedelta(minutes=50), ends_at=now + dt.timedelta(hours=2))
    await invitations.invite(event.id, InviteRequest(person_ids=[p.id for p in people]))

    def scan(at: dt.datetime) -> list[uuid.UUID]:
        return queue_due_reminders(db_session.sync_session, settings, now=at)

    assert await db_session.run_sync(lambda _: scan(now)) == []
    # Half the offset (one hour) after the invitation was queued, the reminder is due all the same.
    later = await db_session.run_sync(lambda _: scan(now + dt.timedelta(minutes=35)))
    assert len(later) == len(people)
    kinds = [kind for kind, _ in await outbox(db_session)]
    assert kinds.count(EmailKind.REMINDER) == len(people)
