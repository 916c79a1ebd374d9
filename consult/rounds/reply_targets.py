"""What a reply to a round's response or digest email answers (consult.mail.replies asks, through the
kinds' handlers in consult.rounds.mailing): the thread of its one comment, else the round."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.mail.models import OutboundEmail, ReplyToken
from consult.rounds.models import Comment


def _comment_ids(row: OutboundEmail) -> list[UUID]:
    """The comments an email is about: the answered one (a response), the new replies (a digest)."""
    ids = [row.context["comment_id"]] if "comment_id" in row.context else row.context.get("comment_ids", [])
    return [UUID(i) for i in ids]


def comment_reply_targets(session: Session, rows: Sequence[OutboundEmail]) -> dict[UUID, ReplyToken]:
    """A reply goes into the thread of the email's one comment, or is a new comment on the round of
    its several; an email about comments of several rounds (or of none left) cannot be answered."""
    wanted = {comment_id for row in rows for comment_id in _comment_ids(row)}
    comments = (
        {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(wanted)))} if wanted else {}
    )
    targets: dict[UUID, ReplyToken] = {}
    for row in rows:
        found = [comments[i] for i in _comment_ids(row) if i in comments]
        if not found or len({c.round_id for c in found}) != 1:
            continue
        target = ReplyToken(round_id=found[0].round_id)
        if len(found) == 1:
            target.comment_id = found[0].id
            target.section_key = found[0].section_key
        targets[row.id] = target
    return targets
