from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, Self
from uuid import UUID

from litestar.datastructures import UploadFile
from msgspec import UNSET, Meta, Struct, UnsetType

from consult.crud import ModelOut
from consult.directory.models import Language
from consult.drafts.models import SECTION_KEY_LENGTH, Document, DocumentSection, DocumentVersion, DraftFormat
from consult.drafts.versions import Change, SectionChange
from consult.types import Title

SectionKey = Annotated[str, Meta(max_length=SECTION_KEY_LENGTH, description="a section's key in the draft")]


class DocumentCreate(Struct, forbid_unknown_fields=True):
    consultation_id: UUID
    title: Title
    language: Language


class DocumentPatch(Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET


class DocumentOut(ModelOut):
    id: UUID
    consultation_id: UUID
    title: str
    language: Language
    created_at: dt.datetime
    updated_at: dt.datetime


class VersionSummary(ModelOut):
    number: int
    id: UUID
    created_at: dt.datetime
    filename: str
    format: DraftFormat
    section_count: int


class DocumentDetail(DocumentOut):
    versions: list[VersionSummary]

    @classmethod
    def from_model(
        cls, row: Document, versions: Sequence[tuple[DocumentVersion, int]] = (), **computed: Any
    ) -> Self:
        summaries = [VersionSummary.from_model(version, section_count=n) for version, n in versions]
        return super().from_model(row, versions=summaries, **computed)


class DraftUploadForm(Struct):
    """multipart/form-data with the draft (Word .docx or Markdown) in the ``file`` field."""

    file: UploadFile


class SectionOut(Struct):
    key: str
    number: str
    heading: str
    body: str
    children: list[SectionOut]


def section_tree(sections: Sequence[DocumentSection]) -> list[SectionOut]:
    """Nest sections given in draft order, where every parent comes before its children."""
    roots: list[SectionOut] = []
    by_key: dict[str, SectionOut] = {}
    for section in sections:
        node = SectionOut(
            key=section.key, number=section.number, heading=section.heading, body=section.body, children=[]
        )
        by_key[section.key] = node
        (by_key[section.parent_key].children if section.parent_key else roots).append(node)
    return roots


class VersionOut(ModelOut):
    id: UUID
    document_id: UUID
    number: int
    filename: str
    format: DraftFormat
    preamble: str
    section_count: int
    created_at: dt.datetime
    sections: list[SectionOut]

    @classmethod
    def from_model(
        cls, row: DocumentVersion, sections: Sequence[DocumentSection] = (), **computed: Any
    ) -> Self:
        return super().from_model(
            row, section_count=len(sections), sections=section_tree(sections), **computed
        )


class SectionChangeOut(Struct):
    key: str
    change: Change
    number: str | None  # in this version; null for a removed section
    heading: str | None
    old_number: str | None  # in the version compared against; null for an added section
    old_heading: str | None
    diff: str | None  # unified diff of the heading and body, for a changed section

    @classmethod
    def from_change(cls, change: SectionChange) -> SectionChangeOut:
        new, old = change.section, change.old_section
        return cls(
            key=change.key,
            change=change.change,
            number=new.number if new else None,
            heading=new.heading if new else None,
            old_number=old.number if old else None,
            old_heading=old.heading if old else None,
            diff=change.diff,
        )


class DiffSummary(Struct):
    added: int
    removed: int
    changed: int
    unchanged: int


class VersionDiff(Struct):
    document_id: UUID
    number: int
    against: int
    summary: DiffSummary  # counts every section, listed or not
    sections: list[SectionChangeOut]

    @classmethod
    def from_changes(
        cls,
        document_id: UUID,
        *,
        number: int,
        against: int,
        changes: Sequence[SectionChange],
        include_unchanged: bool,
    ) -> VersionDiff:
        counts = Counter(change.change for change in changes)
        return cls(
            document_id=document_id,
            number=number,
            against=against,
            summary=DiffSummary(
                added=counts[Change.ADDED],
                removed=counts[Change.REMOVED],
                changed=counts[Change.CHANGED],
                unchanged=counts[Change.UNCHANGED],
            ),
            sections=[
                SectionChangeOut.from_change(change)
                for change in changes
                if include_unchanged or change.change is not Change.UNCHANGED
            ],
        )
