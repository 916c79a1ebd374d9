from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from consult.directory.models import Language, OrganisationKind

Name = Annotated[str, Meta(min_length=1, max_length=300)]
Email = Annotated[str, Meta(min_length=3, max_length=320)]
Country = Annotated[str, Meta(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, e.g. AZ")]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Asia/Baku")]


class OrganisationCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: OrganisationKind
    country: Country | None = None
    website: str | None = None


class OrganisationPatch(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    kind: OrganisationKind | UnsetType = UNSET
    country: Country | UnsetType | None = UNSET
    website: str | UnsetType | None = UNSET


class OrganisationOut(Struct):
    id: UUID
    name: str
    kind: OrganisationKind
    country: str | None
    website: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonCreate(Struct, forbid_unknown_fields=True):
    full_name: Name
    email: Email
    organisation_id: UUID | None = None
    position: str | None = None
    language: Language = Language.EN
    timezone: TimeZoneName = "UTC"


class PersonPatch(Struct, forbid_unknown_fields=True):
    full_name: Name | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    organisation_id: UUID | UnsetType | None = UNSET
    position: str | UnsetType | None = UNSET
    language: Language | UnsetType = UNSET
    timezone: TimeZoneName | UnsetType = UNSET


class PersonOut(Struct):
    id: UUID
    full_name: str
    email: str
    organisation_id: UUID | None
    position: str | None
    language: Language
    timezone: str
    created_at: dt.datetime
    updated_at: dt.datetime


class GroupCreate(Struct, forbid_unknown_fields=True):
    name: Name
    description: str = ""
    person_ids: list[UUID] = msgspec.field(default_factory=list)


class GroupPatch(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: str | UnsetType = UNSET


class GroupOut(Struct):
    id: UUID
    name: str
    description: str
    member_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class GroupMembers(Struct, forbid_unknown_fields=True):
    person_ids: Annotated[list[UUID], Meta(max_length=5000)]
