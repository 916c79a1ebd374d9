"""Draft documents and their versions: uploading a version (parse it, carry the section keys over
from the previous version, store it whole or not at all), reading a version's sections, comparing two.

Methods take ids and know nothing of the caller, so a stakeholder's round link can read drafts
through them just as staff do; access rules belong to the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consult.crud import RowService, delete_unless_referenced, page_of
from consult.drafts import schemas
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.drafts.parsing import read_draft
from consult.drafts.versions import (
    SectionChange,
    SectionLabel,
    SectionText,
    assign_keys,
    diff_sections,
    match_keys,
)
from consult.errors import Conflict, Invalid, NotFound
from consult.events.models import Consultation
from consult.pagination import PageParams

_FILENAME_LENGTH = 255
_MAX_VERSION_NUMBER = 2**31 - 1  # the column is a PostgreSQL integer


def _storable(number: int) -> bool:
    """Whether a version number from a URL can be looked up at all; larger ones name no version."""
    return 1 <= number <= _MAX_VERSION_NUMBER


class DocumentService(RowService[Document]):
    model = Document
    label = "document"

    async def create(self, data: schemas.DocumentCreate) -> Document:
        if await self.session.get(Consultation, data.consultation_id) is None:
            raise Invalid.field("consultation_id", f"consultation {data.consultation_id} does not exist")
        return await self.add(
            Document(consultation_id=data.consultation_id, title=data.title.strip(), language=data.language)
        )

    async def update(self, document_id: UUID, patch: schemas.DocumentPatch) -> Document:
        return await self.apply_patch(document_id, patch, lambda _name, value: value.strip())

    async def delete(self, document_id: UUID) -> None:
        """Versions and sections go with the document (ON DELETE CASCADE), unless a comment round
        still points at a version."""
        await delete_unless_referenced(
            self.session, await self.get(document_id), "the document (one of its versions)"
        )

    async def versions(self, document_id: UUID) -> list[tuple[DocumentVersion, int]]:
        """Each version with its number of sections, oldest first."""
        stmt = (
            select(DocumentVersion, func.count(DocumentSection.id))
            .outerjoin(DocumentSection, DocumentSection.version_id == DocumentVersion.id)
            .where(DocumentVersion.document_id == document_id)
            .group_by(DocumentVersion.id)
            .order_by(DocumentVersion.number)
        )
        return [(version, count) for version, count in (await self.session.execute(stmt)).tuples()]

    async def list(self, page: PageParams, *, consultation_id: UUID | None) -> tuple[list[Document], int]:
        stmt = select(Document).order_by(Document.created_at.desc(), Document.id)
        if consultation_id:
            stmt = stmt.where(Document.consultation_id == consultation_id)
        return await page_of(self.session, stmt, page)


@dataclass(frozen=True)
class VersionSections:
    version: DocumentVersion
    sections: list[DocumentSection]  # in draft order


@dataclass(frozen=True)
class VersionComparison:
    number: int
    against: int
    changes: list[SectionChange]


class VersionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upload(
        self, document_id: UUID, *, filename: str, content: bytes, max_bytes: int
    ) -> VersionSections:
        """Store the file as the document's next version. A refused file writes nothing and uses up
        no number; of two uploads racing for the same number, the second gets a 409."""
        await DocumentService(self.session).get(document_id)
        # Parsing a large Word file takes a while; a worker thread keeps the event loop answering.
        draft = await anyio.to_thread.run_sync(
            partial(read_draft, content, filename=filename, max_bytes=max_bytes)
        )
        latest = await self.session.scalar(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.number.desc())
            .limit(1)
        )
        previous = await self._sections(latest.id) if latest else []
        matched = match_keys(
            {s.key: SectionLabel(number=s.number, heading=s.heading) for s in previous},
            [SectionLabel(number=s.number, heading=s.heading) for s in draft.sections],
        )
        keys = assign_keys(matched, reserved=(s.key for s in previous))

        version = DocumentVersion(
            document_id=document_id,
            number=latest.number + 1 if latest else 1,
            filename=_clean_filename(filename),
            format=draft.format,
            preamble=draft.preamble,
        )
        self.session.add(version)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict(
                f"another version {version.number} of the document was uploaded at the same time; "
                "look at the latest version and upload again if still needed"
            ) from exc
        sections = [
            DocumentSection(
                version_id=version.id,
                key=key,
                parent_key=keys[section.parent] if section.parent is not None else None,
                position=position,
                level=section.level,
                number=section.number,
                heading=section.heading,
                body=section.body,
            )
            for position, (key, section) in enumerate(zip(keys, draft.sections, strict=True))
        ]
        self.session.add_all(sections)
        await self.session.flush()
        return VersionSections(version=version, sections=sections)

    async def get(self, document_id: UUID, number: int) -> VersionSections:
        version = await self._version(document_id, number)
        return VersionSections(version=version, sections=await self._sections(version.id))

    async def compare(self, document_id: UUID, number: int, *, against: int | None) -> VersionComparison:
        """Every section of version ``number`` and of version ``against`` (by default the one
        before), matched by key."""
        version = await self._version(document_id, number)
        if against is None:
            if number == 1:
                raise Invalid.field("against", "version 1 is the first; name a version to compare with")
            against = number - 1
        base = await self._find_version(document_id, against)
        if base is None:
            raise Invalid.field("against", f"the document has no version {against}")
        changes = diff_sections(
            [_text(s) for s in await self._sections(base.id)],
            [_text(s) for s in await self._sections(version.id)],
            old_label=f"v{against}",
            new_label=f"v{number}",
        )
        return VersionComparison(number=number, against=against, changes=changes)

    async def _find_version(self, document_id: UUID, number: int) -> DocumentVersion | None:
        if not _storable(number):
            return None
        return await self.session.scalar(
            select(DocumentVersion).where(
                DocumentVersion.document_id == document_id, DocumentVersion.number == number
            )
        )

    async def _version(self, document_id: UUID, number: int) -> DocumentVersion:
        version = await self._find_version(document_id, number)
        if version is None:
            await DocumentService(self.session).get(document_id)  # an unknown document is named as such
            raise NotFound(f"document {document_id} has no version {number}")
        return version

    async def _sections(self, version_id: UUID) -> list[DocumentSection]:
        stmt = (
            select(DocumentSection)
            .where(DocumentSection.version_id == version_id)
            .order_by(DocumentSection.position)
        )
        return list((await self.session.scalars(stmt)).all())


def _text(section: DocumentSection) -> SectionText:
    return SectionText(key=section.key, number=section.number, heading=section.heading, body=section.body)


def _clean_filename(filename: str) -> str:
    """Browsers send a bare name, some clients a whole Windows or POSIX path."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:_FILENAME_LENGTH] or "draft"
