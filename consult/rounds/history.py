"""What became of a comment, for staff: its earlier texts (one revision per edit) and the
facilitators' hide/restore log."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from consult.crud import get_or_404
from consult.rounds import schemas
from consult.rounds.models import Comment, CommentRevision, ModerationEntry
from consult.rounds.service import ActingService


class HistoryService(ActingService):
    async def history(self, comment_id: UUID) -> schemas.CommentHistory:
        comment = await get_or_404(self.session, Comment, comment_id, "comment")
        revisions = (
            await self.session.scalars(
                select(CommentRevision)
                .where(CommentRevision.comment_id == comment.id)
                .order_by(CommentRevision.number)
            )
        ).all()
        moderation = (
            await self.session.scalars(
                select(ModerationEntry)
                .where(ModerationEntry.comment_id == comment.id)
                .order_by(ModerationEntry.created_at, ModerationEntry.id)
            )
        ).all()
        return schemas.CommentHistory(
            comment_id=comment.id,
            revisions=[
                schemas.RevisionOut(
                    number=r.number,
                    kind=r.kind,
                    body=r.body,
                    quote=r.quote,
                    proposed_text=r.proposed_text,
                    attribution=r.attribution,
                    replaced_at=r.created_at,
                )
                for r in revisions
            ],
            moderation=[
                schemas.ModerationOut(
                    action=m.action.value, reason=m.reason, staff_user_id=m.staff_user_id, at=m.created_at
                )
                for m in moderation
            ],
        )
