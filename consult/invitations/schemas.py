from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

from consult.directory.models import OrganisationKind
from consult.invitations.models import DeliveryState, InvitationRole, Rsvp

IdList = Annotated[list[UUID], Meta(max_length=20_000)]


class InviteRequest(Struct, forbid_unknown_fields=True):
    person_ids: IdList = msgspec.field(default_factory=list)
    group_ids: IdList = msgspec.field(default_factory=list)
    organisation_ids: IdList = msgspec.field(default_factory=list)
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


class InviteePerson(Struct):
    id: UUID
    full_name: str
    email: str
    language: str
    timezone: str
    organisation_id: UUID | None
    organisation_name: str | None
    organisation_kind: OrganisationKind | None


class InvitationOut(Struct):
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


class RsvpRecorded(Struct):
    invitation_id: UUID
    event_id: UUID
    response: Rsvp
    waitlisted: bool
