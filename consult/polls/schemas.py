from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

from consult.crud import ModelOut
from consult.directory.models import OrganisationKind
from consult.directory.schemas import Audience
from consult.events.models import EventFormat, EventKind
from consult.events.schemas import Capacity, EventTime, MeetingLink
from consult.polls.models import PollAnswerValue, PollStatus
from consult.types import Address, IdList, LongText, TimeZoneName, Title

MAX_SLOTS = 50
# From a quarter of an hour to a three-day conference.
DurationMinutes = Annotated[int, Meta(ge=15, le=3 * 24 * 60)]


class PollSlotIn(Struct, forbid_unknown_fields=True):
    starts_at: EventTime


class PollCreate(Audience, forbid_unknown_fields=True, kw_only=True):
    """The poll's audience (as invitations take it), the candidate slots, and the settings of the
    event that deciding will create."""

    title: Title
    kind: EventKind
    format: EventFormat
    timezone: TimeZoneName
    duration_minutes: DurationMinutes
    slots: Annotated[list[PollSlotIn], Meta(min_length=1, max_length=MAX_SLOTS)]
    closes_at: EventTime
    description: LongText = ""
    location: Address | None = None
    online_url: MeetingLink | None = None
    capacity: Capacity | None = None
    required_organisation_ids: IdList = msgspec.field(default_factory=list)


class PollDecide(Struct, forbid_unknown_fields=True):
    slot_id: UUID


class PollBrief(ModelOut):
    id: UUID
    title: str
    kind: EventKind
    status: PollStatus
    closes_at: dt.datetime
    decided_slot_id: UUID | None
    event_id: UUID | None
    created_at: dt.datetime


class OrganisationBrief(Struct):
    id: UUID
    name: str
    kind: OrganisationKind


class AnswerCounts(Struct):
    yes: int
    if_need_be: int
    no: int
    no_answer: int


class SlotTally(Struct):
    id: UUID
    rank: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    starts_at_local: str
    ends_at_local: str
    counts: AnswerCounts
    # The organisations with someone answering yes or if_need_be, by organisation kind.
    organisations_can_attend: dict[str, list[OrganisationBrief]]
    # Required organisations whose invitees answered, none of them yes or if_need_be.
    required_cannot: list[OrganisationBrief]
    # Required organisations from which nobody has answered for this slot yet.
    required_not_answered: list[OrganisationBrief]


class PollOut(Struct):
    id: UUID
    consultation_id: UUID
    title: str
    description: str
    kind: EventKind
    format: EventFormat
    timezone: str
    duration_minutes: int
    location: str | None
    online_url: str | None
    capacity: int | None
    closes_at: dt.datetime
    status: PollStatus
    accepting_answers: bool
    invitee_count: int
    answered_count: int
    required_organisations: list[OrganisationBrief]
    decided_slot_id: UUID | None
    event_id: UUID | None
    decided_at: dt.datetime | None
    # Best first: fewest required organisations missing, then most who can attend, most yes, earliest.
    slots: list[SlotTally]
    created_at: dt.datetime


class PollAnswers(Struct, forbid_unknown_fields=True):
    """One answer per slot, by slot id (the page's form sends the same)."""

    answers: dict[UUID, PollAnswerValue]
