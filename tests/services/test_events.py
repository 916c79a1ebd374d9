"""Scheduling rules of events, on the service: times in the event's zone, what a format needs, the
agenda inside the event, and which changes raise the calendar SEQUENCE."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from consult.errors import Conflict, ConsultError, Invalid
from consult.events import schemas
from consult.events.models import EventFormat, EventKind, EventStatus
from consult.events.service import ConsultationService, EventService

pytestmark = pytest.mark.anyio

UTC = dt.UTC
DAY = dt.date(2027, 3, 10)


def local(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """A wall-clock time, read in the event's zone (Asia/Baku, UTC+4)."""
    return dt.datetime.combine(day, dt.time(hour, minute))


def fields(error: ConsultError) -> list[str]:
    return [e.field for e in error.errors]


@pytest.fixture
async def consultation(db_session):
    return await ConsultationService(db_session).create(
        schemas.ConsultationCreate(title=" Migrant integration strategy 2026-2030 ")
    )


@pytest.fixture
def event_data(consultation):
    def make(**overrides) -> schemas.EventCreate:
        fields = {
            "consultation_id": consultation.id,
            "kind": EventKind.LAUNCH,
            "format": EventFormat.IN_PERSON,
            "title": "Launch of the migrant integration strategy",
            "timezone": "Asia/Baku",
            "starts_at": local(10),
            "ends_at": local(16),
            "location": "Hilton Baku",
            "agenda": [
                schemas.AgendaItemIn(starts_at=local(11), title="Capacities and needs"),
                schemas.AgendaItemIn(starts_at=local(10), title="Opening", speaker="State Migration Service"),
            ],
            **overrides,
        }
        return schemas.EventCreate(**fields)

    return make


async def test_local_times_are_read_in_the_events_zone_and_the_agenda_is_sorted(db_session, event_data):
    event = await EventService(db_session).create(event_data())
    assert (event.starts_at, event.ends_at) == (
        dt.datetime(2027, 3, 10, 6, tzinfo=UTC),
        dt.datetime(2027, 3, 10, 12, tzinfo=UTC),
    )
    assert [(i.position, i.title, i.starts_at.hour) for i in event.agenda] == [
        (0, "Opening", 6),
        (1, "Capacities and needs", 7),
    ]
    assert (event.status, event.ical_sequence) == (EventStatus.SCHEDULED, 0)


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({"ends_at": local(10)}, ["ends_at"]),
        ({"location": "  "}, ["location"]),
        ({"format": EventFormat.ONLINE, "location": None}, ["online_url"]),
        ({"format": EventFormat.HYBRID, "location": None}, ["location", "online_url"]),
        ({"format": EventFormat.ONLINE, "online_url": "javascript:alert(1)"}, ["online_url"]),
        (
            {"agenda": [schemas.AgendaItemIn(starts_at=local(16), title="After the end")]},
            ["agenda[0].starts_at"],
        ),
        ({"timezone": "Asia/Nowhere"}, ["timezone"]),
        # Clocks skip 02:00-03:00 in Brussels on 28 March 2027.
        (
            {"timezone": "Europe/Brussels", "starts_at": local(2, 30, dt.date(2027, 3, 28)), "agenda": []},
            ["starts_at"],
        ),
    ],
)
async def test_an_event_that_cannot_happen_is_refused(db_session, event_data, overrides, refused):
    with pytest.raises(Invalid) as error:
        await EventService(db_session).create(event_data(**overrides))
    assert fields(error.value) == refused


async def test_moving_an_event_moves_its_agenda_and_raises_the_sequence(db_session, event_data):
    events = EventService(db_session)
    event = await events.create(event_data())
    moved = await events.update(event.id, schemas.EventPatch(starts_at=local(12), ends_at=local(18)))
    assert moved.reschedules and moved.changed == {"starts_at", "ends_at"}
    assert moved.event.ical_sequence == 1
    assert [i.starts_at.hour for i in moved.event.agenda] == [8, 9]  # 12:00 and 13:00 in Baku

    retitled = await events.update(event.id, schemas.EventPatch(title=" New title ", capacity=40))
    assert not retitled.reschedules and retitled.changed == {"title", "capacity"}
    assert (retitled.event.title, retitled.event.ical_sequence) == ("New title", 1)

    with pytest.raises(Invalid) as error:  # the agenda would end up after the event
        await events.update(event.id, schemas.EventPatch(ends_at=local(12, 30)))
    assert fields(error.value) == ["agenda[1].starts_at"]


async def test_a_cancelled_event_is_final(db_session, event_data):
    events = EventService(db_session)
    event = await events.create(event_data())
    cancelled = await events.cancel(event.id, "  The venue is closed ")
    assert (cancelled.status, cancelled.cancellation_reason, cancelled.ical_sequence) == (
        EventStatus.CANCELLED,
        "The venue is closed",
        1,
    )
    with pytest.raises(Conflict):
        await events.cancel(event.id, "again")
    with pytest.raises(Conflict):
        await events.update(event.id, schemas.EventPatch(title="Too late"))


async def test_an_event_needs_an_existing_consultation(db_session, event_data):
    data = event_data(consultation_id=uuid.UUID("0190f5e0-0000-7000-8000-000000000000"))
    with pytest.raises(Invalid) as error:
        await EventService(db_session).create(data)
    assert fields(error.value) == ["consultation_id"]
