from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar.datastructures import UploadFile
from msgspec import UNSET, Meta, Struct, UnsetType

from consult.crud import ModelOut
from consult.directory.models import Language, OrganisationKind
from consult.types import Address, IdList, LongText, Name, ShortText, TimeZoneName

Email = Annotated[str, Meta(min_length=3, max_length=320)]
Country = Annotated[str, Meta(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, e.g. AZ")]


class OrganisationCreate(Struct, forbid_unknown_fields=True):
    name: Name
    kind: OrganisationKind
    country: Country | None = None
    website: Address | None = None


class OrganisationPatch(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    kind: OrganisationKind | UnsetType = UNSET
    country: Country | UnsetType | None = UNSET
    website: Address | UnsetType | None = UNSET


class OrganisationOut(ModelOut):
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
    position: ShortText | None = None
    language: Language = Language.EN
    timezone: TimeZoneName = "UTC"


class PersonPatch(Struct, forbid_unknown_fields=True):
    full_name: Name | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    organisation_id: UUID | UnsetType | None = UNSET
    position: ShortText | UnsetType | None = UNSET
    language: Language | UnsetType = UNSET
    timezone: TimeZoneName | UnsetType = UNSET


class PersonOut(ModelOut):
    id: UUID
    full_name: str
    email: str
    organisation_id: UUID | None
    position: str | None
    language: Language
    timezone: str
    created_at: dt.datetime
    updated_at: dt.datetime


class Audience(Struct, forbid_unknown_fields=True):
    """Whom a mailing reaches: people by id, the members of groups, the staff of organisations
    (see ``consult.directory.audience.expand_audience``)."""

    person_ids: IdList = msgspec.field(default_factory=list)
    group_ids: IdList = msgspec.field(default_factory=list)
    organisation_ids: IdList = msgspec.field(default_factory=list)


class GroupCreate(Struct, forbid_unknown_fields=True):
    name: Name
    description: LongText = ""
    person_ids: IdList = msgspec.field(default_factory=list)


class GroupPatch(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    description: LongText | UnsetType = UNSET


class GroupOut(ModelOut):
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
