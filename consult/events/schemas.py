from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Self
from uuid import UUID

import msgspec
from litestar.params import KwargDefinition
from msgspec import UNSET, Meta, Struct, UnsetType

from consult.crud import ModelOut
from consult.events.models import Event, EventFormat, EventKind, EventStatus
from consult.events.timing import in_zone
from consult.types import SECTION_KEY_LENGTH, Address, LongText, Reason, ShortText, TimeZoneName, Title

EventTime = Annotated[
    dt.datetime,
    Meta(description="ISO 8601 with an offset, or local wall-clock time in the event's time zone"),
]
Capacity = Annotated[int, Meta(ge=1, le=100_000)]
# Meeting links of some services (Teams) run to a few hundred characters.
MeetingLink = Annotated[str, Meta(max_length=1_000, description="the online meeting's http(s) URL")]
# The KwargDefinition repeats the limit for the OpenAPI document: Litestar reads a list item's limits
# from it, not from msgspec's Meta (which is what checks the request).
AgendaSectionKey = Annotated[
    str,
    Meta(min_length=1, max_length=SECTION_KEY_LENGTH, description="a section's key in the draft version"),
    KwargDefinition(min_length=1, max_length=SECTION_KEY_LENGTH),
]


class ConsultationCreate(Struct, forbid_unknown_fields=True):
    title: Title
    description: LongText = ""


class ConsultationPatch(Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    description: LongText | UnsetType = UNSET


class ConsultationOut(ModelOut):
    id: UUID
    title: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AgendaItemIn(Struct, forbid_unknown_fields=True):
    starts_at: EventTime
    title: Title
    speaker: ShortText | None = None
    # The draft sections the item discusses, in a version of the draft.
    document_version_id: UUID | None = None
    section_keys: Annotated[list[AgendaSectionKey], Meta(max_length=200)] = msgspec.field(
        default_factory=list
    )


class EventCreate(Struct, forbid_unknown_fields=True):
    consultation_id: UUID
    kind: EventKind
    format: EventFormat
    title: Title
    timezone: TimeZoneName
    starts_at: EventTime
    ends_at: EventTime
    description: LongText = ""
    location: Address | None = None
    online_url: MeetingLink | None = None
    capacity: Capacity | None = None
    agenda: list[AgendaItemIn] = msgspec.field(default_factory=list)


class EventPatch(Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``agenda``, when sent, replaces the whole agenda."""

    kind: EventKind | UnsetType = UNSET
    format: EventFormat | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    timezone: TimeZoneName | UnsetType = UNSET
    starts_at: EventTime | UnsetType = UNSET
    ends_at: EventTime | UnsetType = UNSET
    location: Address | None | UnsetType = UNSET
    online_url: MeetingLink | None | UnsetType = UNSET
    capacity: Capacity | None | UnsetType = UNSET
    agenda: list[AgendaItemIn] | UnsetType = UNSET


class EventCancel(Struct, forbid_unknown_fields=True):
    reason: Reason


class AgendaItemOut(ModelOut):
    starts_at: dt.datetime
    starts_at_local: str
    title: str
    speaker: str | None
    document_version_id: UUID | None
    section_keys: list[str]


class EventOut(ModelOut):
    id: UUID
    consultation_id: UUID
    kind: EventKind
    format: EventFormat
    title: str
    description: str
    timezone: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    starts_at_local: str
    ends_at_local: str
    location: str | None
    online_url: str | None
    capacity: int | None
    status: EventStatus
    cancellation_reason: str | None
    sequence: int
    agenda: list[AgendaItemOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, row: Event, **computed: Any) -> Self:
        zone = row.timezone
        return super().from_model(
            row,
            starts_at_local=in_zone(row.starts_at, zone).isoformat(),
            ends_at_local=in_zone(row.ends_at, zone).isoformat(),
            sequence=row.ical_sequence,
            agenda=[
                AgendaItemOut.from_model(item, starts_at_local=in_zone(item.starts_at, zone).isoformat())
                for item in row.agenda
            ],
            **computed,
        )
