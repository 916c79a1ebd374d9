"""Which draft sections events discuss: the round page notes "discussed at the round table of <date>"
on a section some event's agenda names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.events.models import AgendaItem, Event, EventKind, EventStatus
from consult.events.timing import in_zone


@dataclass(frozen=True)
class Discussion:
    """An event that discusses a section, with its day in the event's own time zone."""

    event_id: UUID
    kind: EventKind
    title: str
    date: dt.date


async def discussed_sections(session: AsyncSession, document_version_id: UUID) -> dict[str, list[Discussion]]:
    """For each section key of the draft version that a scheduled event's agenda names, the events
    that discuss it, earliest first (an event is named once per section, however many items)."""
    rows = await session.execute(
        select(Event.id, Event.kind, Event.title, Event.starts_at, Event.timezone, AgendaItem.section_keys)
        .join(AgendaItem, AgendaItem.event_id == Event.id)
        .where(AgendaItem.document_version_id == document_version_id, Event.status == EventStatus.SCHEDULED)
        .order_by(Event.starts_at, Event.id, AgendaItem.position)
    )
    found: dict[str, list[Discussion]] = {}
    for event_id, kind, title, starts_at, zone, keys in rows:
        discussion = Discussion(event_id, EventKind(kind), title, in_zone(starts_at, zone).date())
        for key in keys:
            events = found.setdefault(key, [])
            if discussion not in events:
                events.append(discussion)
    return found
