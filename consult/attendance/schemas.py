from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Self
from uuid import UUID

import msgspec
from litestar.datastructures import UploadFile
from msgspec import Meta, Struct

from consult.attendance.models import AttendanceSource, EventAttendance
from consult.crud import ModelOut
from consult.directory.models import OrganisationKind, Person
from consult.types import IdList

# A code as printed is 11 characters; room for spaces a person types between the groups.
CheckInCode = Annotated[str, Meta(min_length=1, max_length=40)]


class CheckInRequest(Struct, forbid_unknown_fields=True):
    code: CheckInCode


class AttendanceIn(Struct, forbid_unknown_fields=True):
    """Who was there, by hand: people (invited or walk-ins) and/or invitations of the event.
    ``attended: false`` takes them off the list again."""

    person_ids: IdList = msgspec.field(default_factory=list)
    invitation_ids: IdList = msgspec.field(default_factory=list)
    attended: bool = True


class AttendanceChange(Struct):
    event_id: UUID
    added: list[UUID]  # person ids
    removed: list[UUID]
    attended: int  # people on the list now


class Attendee(ModelOut):
    id: UUID
    full_name: str
    email: str
    organisation_id: UUID | None
    organisation_name: str | None
    organisation_kind: OrganisationKind | None

    @classmethod
    def from_model(cls, row: Person, **computed: Any) -> Self:
        """``row.organisation`` must be loaded."""
        organisation = row.organisation
        return super().from_model(
            row,
            organisation_name=organisation.name if organisation else None,
            organisation_kind=organisation.kind if organisation else None,
            **computed,
        )


class AttendanceOut(ModelOut):
    id: UUID
    event_id: UUID
    person: Attendee
    invitation_id: UUID | None
    walk_in: bool  # not (or no longer) invited
    source: AttendanceSource
    checked_in_at: dt.datetime | None
    minutes: int | None
    recorded_at: dt.datetime

    @classmethod
    def from_model(cls, row: EventAttendance, **computed: Any) -> Self:
        """``computed`` must give ``person``."""
        return super().from_model(
            row, walk_in=row.invitation_id is None, recorded_at=row.created_at, **computed
        )


class CheckInOut(Struct):
    already_checked_in: bool  # a second scan: ``checked_in_at`` is the first one's time
    checked_in_at: dt.datetime
    attendance: AttendanceOut


class ReportForm(Struct):
    """multipart/form-data with the meeting's participant report in the ``file`` field."""

    file: UploadFile


class ReportRowOut(Struct):
    row: int
    name: str
    email: str
    minutes: int | None  # this row's own time in the meeting


class MatchedPerson(Struct):
    person: Attendee
    invitation_id: UUID
    matched_by: Literal["email", "name"]
    minutes: int  # all their rows, rejoins summed, overlaps counted once
    rows: list[int]


class UnmatchedRow(Struct):
    row: ReportRowOut
    reason: str


class AmbiguousRow(Struct):
    row: ReportRowOut
    candidates: list[Attendee]  # the invitees of that name


class ImportCounts(Struct):
    rows: int
    matched_rows: int
    people: int
    unmatched: int
    ambiguous: int


class ImportReport(Struct):
    event_id: UUID
    report_kind: Literal["zoom", "teams", "plain"]
    file_format: Literal["csv", "xlsx"]
    dry_run: bool
    written: bool
    counts: ImportCounts
    matched: list[MatchedPerson]
    unmatched: list[UnmatchedRow]
    ambiguous: list[AmbiguousRow]
