"""Consultations and their events: scheduling rules, time zones, agenda, cancellation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select

from consult.crud import RowService, page_of, patch_fields
from consult.errors import Conflict, FieldError, Invalid
from consult.events import schemas
from consult.events.models import AgendaItem, Consultation, Event, EventFormat, EventKind, EventStatus
from consult.events.timing import to_utc
from consult.pagination import PageParams
from consult.validation import check_timezone, check_web_url

# A change to any of these is one invitees' calendars must receive (a new iCalendar SEQUENCE).
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "format", "location", "online_url"})
_TRACKED_FIELDS = SCHEDULE_FIELDS | {"title", "description", "kind", "timezone", "capacity"}


class ConsultationService(RowService[Consultation]):
    model = Consultation
    label = "consultation"

    async def create(self, data: schemas.ConsultationCreate) -> Consultation:
        return await self.add(Consultation(title=data.title.strip(), description=data.description))

    async def update(self, consultation_id: UUID, patch: schemas.ConsultationPatch) -> Consultation:
        return await self.apply_patch(
            consultation_id, patch, lambda name, value: value.strip() if name == "title" else value
        )

    async def list(self, page: PageParams, *, q: str | None) -> tuple[list[Consultation], int]:
        stmt = select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id)
        if q:
            stmt = stmt.where(func.lower(Consultation.title).contains(q.lower(), autoescape=True))
        return await page_of(self.session, stmt, page)


@dataclass(frozen=True)
class EventChange:
    event: Event
    changed: frozenset[str]

    @property
    def reschedules(self) -> bool:
        """Whether invitees must be sent an update."""
        return bool(self.changed & SCHEDULE_FIELDS)


@dataclass(frozen=True)
class Schedule:
    """When and where an event happens, checked as a whole (events, and the polls that create them)."""

    timezone: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    format: EventFormat
    location: str | None
    online_url: str | None


def checked_schedule(schedule: Schedule) -> Schedule:
    errors: list[FieldError] = []
    if schedule.ends_at <= schedule.starts_at:
        errors.append(FieldError("ends_at", "must be after starts_at"))
    if schedule.format.needs_venue and not (schedule.location or "").strip():
        errors.append(FieldError("location", f"a {schedule.format.value} event needs a venue"))
    if schedule.format.needs_link and not schedule.online_url:
        errors.append(FieldError("online_url", f"an {schedule.format.value} event needs a meeting link"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    return schedule


def _agenda(items: list[schemas.AgendaItemIn], schedule: Schedule) -> list[AgendaItem]:
    timed = [
        (to_utc(item.starts_at, schedule.timezone, f"agenda[{index}].starts_at"), index, item)
        for index, item in enumerate(items)
    ]
    errors = [
        FieldError(f"agenda[{index}].starts_at", "must be within the event's start and end")
        for starts_at, index, _ in timed
        if not schedule.starts_at <= starts_at < schedule.ends_at
    ]
    if errors:
        raise Invalid("agenda items outside the event", errors=errors)
    unanchored = [
        FieldError(f"agenda[{index}].document_version_id", "section_keys name sections of a draft version")
        for _, index, item in timed
        if item.section_keys and item.document_version_id is None
    ]
    if unanchored:
        raise Invalid("agenda items name sections without their draft version", errors=unanchored)
    timed.sort(key=lambda entry: (entry[0], entry[1]))
    return [
        AgendaItem(
            position=position,
            starts_at=starts_at,
            title=item.title.strip(),
            speaker=item.speaker,
            document_version_id=item.document_version_id,
            section_keys=list(dict.fromkeys(item.section_keys)),
        )
        for position, (starts_at, _, item) in enumerate(timed)
    ]


class EventService(RowService[Event]):
    model = Event
    label = "event"

    async def _check_consultation(self, consultation_id: UUID) -> None:
        if await self.session.get(Consultation, consultation_id) is None:
            raise Invalid.field("consultation_id", f"consultation {consultation_id} does not exist")

    async def create(self, data: schemas.EventCreate) -> Event:
        await self._check_consultation(data.consultation_id)
        zone = check_timezone(data.timezone)
        schedule = checked_schedule(
            Schedule(
                timezone=zone,
                starts_at=to_utc(data.starts_at, zone, "starts_at"),
                ends_at=to_utc(data.ends_at, zone, "ends_at"),
                format=data.format,
                location=data.location,
                online_url=check_web_url(data.online_url, "online_url"),
            )
        )
        event = Event(
            consultation_id=data.consultation_id,
            kind=data.kind,
            format=schedule.format,
            title=data.title.strip(),
            description=data.description,
            timezone=zone,
            starts_at=schedule.starts_at,
            ends_at=schedule.ends_at,
            location=schedule.location,
            online_url=schedule.online_url,
            capacity=data.capacity,
            agenda=_agenda(data.agenda, schedule),
        )
        return await self.add(event)

    async def update(self, event_id: UUID, patch: schemas.EventPatch) -> EventChange:
        event = await self.get(event_id)
        if event.status is EventStatus.CANCELLED:
            raise Conflict("the event is cancelled; cancelled events cannot be changed")
        changes = patch_fields(patch)
        zone = check_timezone(changes.get("timezone", event.timezone))
        schedule = checked_schedule(
            Schedule(
                timezone=zone,
                starts_at=to_utc(changes["starts_at"], zone, "starts_at")
                if "starts_at" in changes
                else event.starts_at,
                ends_at=to_utc(changes["ends_at"], zone, "ends_at")
                if "ends_at" in changes
                else event.ends_at,
                format=changes.get("format", event.format),
                location=changes.get("location", event.location),
                online_url=check_web_url(changes["online_url"], "online_url")
                if "online_url" in changes
                else event.online_url,
            )
        )
        before = {name: getattr(event, name) for name in _TRACKED_FIELDS}
        if "agenda" in changes:
            event.agenda = _agenda(changes["agenda"], schedule)
        else:
            self._fit_agenda(event, schedule)
        for name in ("starts_at", "ends_at", "format", "location", "online_url", "timezone"):
            setattr(event, name, getattr(schedule, name))
        for name in ("title", "description", "kind", "capacity"):
            if name in changes:
                setattr(event, name, changes[name].strip() if name == "title" else changes[name])
        changed = frozenset(name for name, value in before.items() if getattr(event, name) != value)
        if "agenda" in changes:
            changed |= {"agenda"}
        if changed & SCHEDULE_FIELDS:
            event.ical_sequence += 1
        await self.session.flush()
        return EventChange(event=event, changed=changed)

    @staticmethod
    def _fit_agenda(event: Event, schedule: Schedule) -> None:
        """Moving an event moves its agenda with it, keeping each item's offset from the start;
        an agenda that no longer fits (the event got shorter) is refused."""
        shift = schedule.starts_at - event.starts_at
        if shift:
            for item in event.agenda:
                item.starts_at = item.starts_at + shift
        outside = [
            FieldError(f"agenda[{item.position}].starts_at", "would fall outside the moved event")
            for item in event.agenda
            if not schedule.starts_at <= item.starts_at < schedule.ends_at
        ]
        if outside:
            raise Invalid("the agenda does not fit the new times; send a new agenda", errors=outside)

    async def cancel(self, event_id: UUID, reason: str) -> Event:
        event = await self.get(event_id)
        if event.status is EventStatus.CANCELLED:
            raise Conflict("the event is already cancelled")
        event.status = EventStatus.CANCELLED
        event.cancellation_reason = reason.strip()
        event.ical_sequence += 1
        await self.session.flush()
        return event

    async def list(
        self,
        page: PageParams,
        *,
        consultation_id: UUID | None,
        kind: EventKind | None,
        format: EventFormat | None,
        status: EventStatus | None,
        starts_from: dt.datetime | None,
        starts_before: dt.datetime | None,
        q: str | None,
    ) -> tuple[list[Event], int]:
        stmt = select(Event).order_by(Event.starts_at, Event.id)
        if consultation_id:
            stmt = stmt.where(Event.consultation_id == consultation_id)
        if kind:
            stmt = stmt.where(Event.kind == kind)
        if format:
            stmt = stmt.where(Event.format == format)
        if status:
            stmt = stmt.where(Event.status == status)
        if starts_from:
            stmt = stmt.where(Event.ends_at > starts_from)
        if starts_before:
            stmt = stmt.where(Event.starts_at < starts_before)
        if q:
            stmt = stmt.where(func.lower(Event.title).contains(q.lower(), autoescape=True))
        return await page_of(self.session, stmt, page)
