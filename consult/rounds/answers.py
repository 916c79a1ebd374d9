"""The facilitators' answer to a comment: a decision, its rationale and, when the comment was taken
up, where in a later version of the draft. The author is told by email, again when the answer
changes."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select

from consult.crud import get_or_404
from consult.drafts.models import DocumentSection, DocumentVersion
from consult.errors import Invalid
from consult.mail.models import EmailKind
from consult.mail.outbox import enqueue, mail_domain
from consult.rounds import schemas
from consult.rounds.models import Comment, CommentRound
from consult.rounds.service import ActingService


class AnswerService(ActingService):
    async def respond(self, comment_id: UUID, data: schemas.ResponseIn) -> Comment:
        comment = await get_or_404(self.session, Comment, comment_id, "comment")
        if (data.taken_up_version_id is None) != (data.taken_up_section_key is None):
            raise Invalid.field(
                "taken_up_section_key", "give both taken_up_version_id and taken_up_section_key"
            )
        if data.taken_up_version_id is not None:
            await self._check_taken_up(comment, data.taken_up_version_id, data.taken_up_section_key)
        comment.decision = data.decision
        comment.rationale = data.rationale
        comment.taken_up_version_id = data.taken_up_version_id
        comment.taken_up_section_key = data.taken_up_section_key
        comment.responded_at = dt.datetime.now(dt.UTC)
        comment.responded_by_id = self.staff_user_id
        enqueue(
            self.session,
            kind=EmailKind.COMMENT_RESPONSE,
            person_id=comment.author_id,
            domain=mail_domain(self.settings.mail.from_address),
            context={"comment_id": str(comment.id)},
        )
        await self.session.flush()
        return comment

    async def _check_taken_up(self, comment: Comment, version_id: UUID, section_key: str | None) -> None:
        """The later version must be of the same document, and have that section."""
        round_ = await self.session.get(CommentRound, comment.round_id)
        assert round_ is not None
        commented = await self.session.get(DocumentVersion, round_.document_version_id)
        taken_up = await self.session.get(DocumentVersion, version_id)
        if taken_up is None or commented is None or taken_up.document_id != commented.document_id:
            raise Invalid.field("taken_up_version_id", "not a version of the draft this round comments on")
        if taken_up.number <= commented.number:
            raise Invalid.field("taken_up_version_id", "must be a later version than the one commented on")
        found = await self.session.scalar(
            select(DocumentSection.id).where(
                DocumentSection.version_id == version_id, DocumentSection.key == section_key
            )
        )
        if found is None:
            raise Invalid.field("taken_up_section_key", f"no section {section_key!r} in that version")
