"""``POST /api/v1/rounds/{id}/word-feedback``: a Word file returned on the round's draft becomes
comments (consult.word.importing)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from consult.word.importing import WordFeedbackReport, WordImportService


class WordFeedbackForm(Struct):
    """multipart/form-data: the Word file in ``file``; staff name whose comments they are."""

    file: UploadFile
    person_id: UUID | None = None
    organisation_id: UUID | None = None


class WordFeedbackController(Controller):
    path = "/api/v1/rounds/{round_id:uuid}/word-feedback"
    tags = ["comment rounds"]

    # The body limit (CONSULT_DRAFT_MAX_BYTES, as for drafts) is set on this controller by create_app.
    @post("/", status_code=200)
    async def import_word_feedback(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, State],
        round_id: UUID,
        data: Annotated[WordFeedbackForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        dry_run: Annotated[
            bool, Parameter(description="report what the file would become, and write nothing")
        ] = False,
    ) -> WordFeedbackReport:
        """Import a .docx made from the round's draft (by Word or LibreOffice, retitled or edited):
        each Word comment becomes a comment in the section whose heading comes before it (its
        anchored text as ``quote`` when that is a passage of the section), Word replies replies, the
        tracked changes of a paragraph one amendment; what cannot be placed goes on the whole draft
        with a note. All or nothing; the same file again creates nothing new.

        A stakeholder's round link uploads as that stakeholder. Staff (admin, facilitator) give
        ``person_id`` (an invitee), or ``organisation_id``: the organisation's official position,
        written as its invitee invited first (or as ``person_id`` when given too)."""
        return await WordImportService(db_session, state.settings, request.user).import_file(
            round_id,
            await data.file.read(),
            dry_run=dry_run,
            person_id=data.person_id,
            organisation_id=data.organisation_id,
        )
