from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, staff_with
from consult.auth.models import Role
from consult.crud import RowRoutes
from consult.drafts import schemas
from consult.drafts.models import Document
from consult.drafts.service import DocumentService, VersionService

# Facilitators write the strategy, so they publish its versions too.
draft_editors = staff_with(Role.ADMIN, Role.ORGANISER, Role.FACILITATOR)


async def _document_detail(service: DocumentService, document: Document) -> schemas.DocumentDetail:
    return schemas.DocumentDetail.from_model(document, await service.versions(document.id))


documents = RowRoutes(
    "document_id",
    DocumentService,
    schemas.DocumentDetail,
    read=[any_staff],
    write=[draft_editors],
    present=_document_detail,
)


class DocumentController(Controller):
    path = "/api/v1/documents"
    tags = ["drafts"]

    list_documents = documents.list(schemas.DocumentOut, consultation_id=UUID | None)
    create_document = documents.create(schemas.DocumentCreate)
    get_document = documents.read()
    update_document = documents.update(schemas.DocumentPatch)
    delete_document = documents.delete()

    # The body limit (CONSULT_DRAFT_MAX_BYTES) is set on this controller by create_app.
    @post("/{document_id:uuid}/versions", guards=[draft_editors])
    async def upload_version(
        self,
        db_session: AsyncSession,
        state: State,
        document_id: UUID,
        data: Annotated[schemas.DraftUploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> schemas.VersionOut:
        """Upload the next version as a Word document (.docx) or Markdown text in the field ``file``.

        Headings become sections, nested by level and numbered ("1", "1.1", "1.1.3") from the
        heading when it carries a number, by position otherwise. Sections keep their ``key`` from
        the previous version when they keep their number and heading, their number, or their heading.
        """
        uploaded = await VersionService(db_session).upload(
            document_id,
            filename=data.file.filename,
            content=await data.file.read(),
            max_bytes=state.settings.uploads.draft_max_bytes,
        )
        return schemas.VersionOut.from_model(uploaded.version, uploaded.sections)

    @get("/{document_id:uuid}/versions/{number:int}", guards=[any_staff])
    async def get_version(
        self, db_session: AsyncSession, document_id: UUID, number: int
    ) -> schemas.VersionOut:
        found = await VersionService(db_session).get(document_id, number)
        return schemas.VersionOut.from_model(found.version, found.sections)

    @get("/{document_id:uuid}/versions/{number:int}/diff", guards=[any_staff])
    async def diff_versions(
        self,
        db_session: AsyncSession,
        document_id: UUID,
        number: int,
        against: Annotated[
            int | None, Parameter(ge=1, description="the version to compare with; by default the one before")
        ] = None,
        include_unchanged: bool = False,
    ) -> schemas.VersionDiff:
        """Sections added, removed and changed (with a unified diff) between two versions, by key,
        in draft order; unchanged sections too with ``include_unchanged``."""
        comparison = await VersionService(db_session).compare(document_id, number, against=against)
        return schemas.VersionDiff.from_changes(
            document_id,
            number=comparison.number,
            against=comparison.against,
            changes=comparison.changes,
            include_unchanged=include_unchanged,
        )
