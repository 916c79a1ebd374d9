from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar.datastructures import UploadFile
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


class PeopleImportForm(Struct):
    """multipart/form-data with the spreadsheet in the ``file`` field."""

    file: UploadFile


class ImportRowStatus(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


class ImportRowError(Struct):
    field: str
    reason: str


class ImportRow(Struct):
    row: Annotated[int, Meta(description="Row number as the spreadsheet shows it; the header is row 1")]
    status: ImportRowStatus
    email: str | None
    person_id: UUID | None = None  # None for rejected rows and for people a dry run would create
    errors: list[ImportRowError] = msgspec.field(default_factory=list)


class ImportCounts(Struct):
    created: int
    updated: int
    unchanged: int
    rejected: int


class ImportReport(Struct):
    """What an import did or, when ``written`` is false, would do."""

    file_format: Literal["csv", "xlsx"]
    dry_run: bool
    written: bool
    counts: ImportCounts
    organisations_created: list[str]
    unknown_columns: list[str]
    rows: list[ImportRow]
