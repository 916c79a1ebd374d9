from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from msgspec import Struct

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


class InviteePerson(Struct):
    id: UUID
    full_name: str
    email: str
    language: str
    timezone: str
    organisation_id: UUID | None
    organisation_name: str | None
    organisation_kind: OrganisationKind | None

    @classmethod
    def from_model(cls, person: Person) -> InviteePerson:
        """``person.organisation`` must be loaded."""
        organisation = person.organisation
        return cls(
            id=person.id,
            full_name=person.full_name,
            email=person.email,
            language=person.language.value,
            timezone=person.timezone,
            organisation_id=person.organisation_id,
            organisation_name=organisation.name if organisation else None,
            organisation_kind=organisation.kind if organisation else None,
        )


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

    @classmethod
    def from_model(cls, invitation: Invitation) -> InvitationOut:
        """``invitation.person`` and its organisation must be loaded."""
        return cls(
            id=invitation.id,
            event_id=invitation.event_id,
            person=InviteePerson.from_model(invitation.person),
            role=invitation.role,
            rsvp=invitation.rsvp,
            waitlisted=invitation.waitlisted_at is not None,
            responded_at=invitation.responded_at,
            delivery_state=invitation.delivery_state,
            delivery_error=invitation.delivery_error,
            last_sent_at=invitation.last_sent_at,
            invited_at=invitation.created_at,
            withdrawn_at=invitation.withdrawn_at,
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


class RsvpRecorded(Struct):
    invitation_id: UUID
    event_id: UUID
    response: Rsvp
    waitlisted: bool

    @classmethod
    def from_model(cls, invitation: Invitation) -> RsvpRecorded:
        return cls(
            invitation_id=invitation.id,
            event_id=invitation.event_id,
            response=invitation.rsvp,
            waitlisted=invitation.waitlisted_at is not None,
        )
