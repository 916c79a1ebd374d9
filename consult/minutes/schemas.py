"""What the minutes of an event say: points, each said by an organisation and/or a person about a
draft section (or the whole draft), recorded as comments of a comment round."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from msgspec import UNSET, Meta, Struct, UnsetType

from consult.drafts.schemas import SectionKey
from consult.events.models import EventKind
from consult.rounds.models import CommentKind
from consult.rounds.schemas import CommentOut
from consult.types import CommentText, LongText

MAX_POINTS = 500


class PointIn(Struct, forbid_unknown_fields=True):
    """One point made at the event. Name the organisation that spoke, the person, or both (a person
    speaking for their organisation); ``section_key`` null means the whole draft."""

    text: CommentText
    kind: CommentKind = CommentKind.COMMENT
    section_key: SectionKey | None = None
    organisation_id: UUID | None = None
    person_id: UUID | None = None
    proposed_text: LongText | None = None  # an amendment's wording


class MinutesIn(Struct, forbid_unknown_fields=True):
    round_id: Annotated[UUID, Meta(description="the comment round the points join as comments")]
    points: Annotated[list[PointIn], Meta(min_length=1, max_length=MAX_POINTS)]


class PointPatch(Struct, forbid_unknown_fields=True):
    """A correction: only the fields sent change; the earlier text is kept in the comment's history."""

    text: CommentText | UnsetType = UNSET
    kind: CommentKind | UnsetType = UNSET
    proposed_text: LongText | None | UnsetType = UNSET


class MinutesOut(Struct):
    event_id: UUID
    event_kind: EventKind
    event_title: str
    event_date: dt.date  # in the event's time zone
    source_label: str  # "round table, 8 April 2027", as the matrix and exports show it
    points: list[CommentOut]  # as comments, withdrawn ones included (status "withdrawn")
