"""Facilitators hiding a comment (with a reason, kept in the moderation log) and restoring it.

A hidden comment stays for the record and for staff; what else it takes out of sight is decided in
``consult.rounds.visibility``.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from consult.crud import get_or_404
from consult.errors import Conflict
from consult.rounds.models import Comment, ModerationAction, ModerationEntry
from consult.rounds.service import ActingService


class ModerationService(ActingService):
    async def hide(self, comment_id: UUID, reason: str) -> Comment:
        comment = await get_or_404(self.session, Comment, comment_id, "comment")
        if comment.hidden_at is not None:
            raise Conflict("the comment is already hidden")
        comment.hidden_at = dt.datetime.now(dt.UTC)
        comment.hidden_reason = reason
        self._log(comment, ModerationAction.HIDE, reason)
        await self.session.flush()
        return comment

    async def restore(self, comment_id: UUID) -> Comment:
        comment = await get_or_404(self.session, Comment, comment_id, "comment")
        if comment.hidden_at is None:
            raise Conflict("the comment is not hidden")
        comment.hidden_at = None
        comment.hidden_reason = None
        self._log(comment, ModerationAction.RESTORE)
        await self.session.flush()
        return comment

    def _log(self, comment: Comment, action: ModerationAction, reason: str | None = None) -> None:
        self.session.add(
            ModerationEntry(
                comment_id=comment.id, action=action, reason=reason, staff_user_id=self.staff_user_id
            )
        )
