from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self
from uuid import UUID

from msgspec import Struct

from consult.crud import ModelOut
from consult.directory.models import OrganisationKind, Person
from consult.directory.schemas import Audience
from consult.invitations.models import DeliveryState, Invitation, InvitationRole, Rsvp


class InviteRequest(Audience, forbid_unknown_fields=True):
    role: InvitationRole = InvitationRole.PARTICIPANT


class InvitationBrief(Struct):
    id: UUID
    person_id: UUID
    email: str
    rsvp: Rsvp


class InviteResult(Struct):
    created: list[InvitationBrief]
    existing: list[InvitationBrief]
    created_count: int
    existing_count: int


class InviteePerson(ModelOut):
    id: UUID
    full_name: str
    email: str
    language: str
    timezone: str
    organisation_id: UUID | None
    organisation_name: str | None
    organisation_kind: OrganisationKind | None

    @classmethod
    def from_model(cls, row: Person, **computed: Any) -> Self:
        """``row.organisation`` must be loaded."""
        organisation = row.organisation
        return super().from_model(
            row,
            language=row.language.value,
            organisation_name=organisation.name if organisation else None,
            organisation_kind=organisation.kind if organisation else None,
            **computed,
        )


class InvitationAttendance(Struct):
    """Whether the invitee came (consult.attendance): how it was recorded, the check-in time, and
    the minutes in the online meeting."""

    source: str
    checked_in_at: dt.datetime | None
    minutes: int | None


class InvitationOut(ModelOut):
    id: UUID
    event_id: UUID
    person: InviteePerson
    role: InvitationRole
    rsvp: Rsvp
    waitlisted: bool
    responded_at: dt.datetime | None
    delivery_state: DeliveryState
    delivery_error: str | None
    last_sent_at: dt.datetime | None
    invited_at: dt.datetime
    withdrawn_at: dt.datetime | None
    attendance: InvitationAttendance | None

    @classmethod
    def from_model(cls, row: Invitation, **computed: Any) -> Self:
        """``row.person`` and its organisation must be loaded; ``computed`` gives ``attendance``."""
        return super().from_model(
            row,
            person=InviteePerson.from_model(row.person),
            waitlisted=row.waitlisted_at is not None,
            invited_at=row.created_at,
            **computed,
        )


class InvitationCounts(Struct):
    by_rsvp: dict[str, int]
    by_delivery: dict[str, int]
    by_organisation_kind: dict[str, dict[str, int]]
    waitlisted: int
    confirmed: int
    capacity: int | None


class InvitationPage(Struct):
    items: list[InvitationOut]
    total: int
    limit: int
    offset: int
    counts: InvitationCounts


class RsvpAnswer(Struct, forbid_unknown_fields=True):
    response: Literal["accepted", "declined", "tentative"]


class RsvpRecorded(ModelOut):
    invitation_id: UUID
    event_id: UUID
    response: Rsvp
    waitlisted: bool

    @classmethod
    def from_model(cls, row: Invitation, **computed: Any) -> Self:
        return super().from_model(
            row,
            invitation_id=row.id,
            response=row.rsvp,
            waitlisted=row.waitlisted_at is not None,
            **computed,
        )
