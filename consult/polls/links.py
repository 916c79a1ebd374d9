"""Personal poll links, ``{base_url}/poll/{token}``: random, shown only in the email, stored as a
digest; they take answers until the poll closes and show its outcome for some days after
(settings.polls.link_days_after_close), or until they are revoked."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, joinedload

from consult.auth.tokens import new_token, token_digest
from consult.polls.models import PollInvitee, PollLink, SchedulingPoll
from consult.settings import Settings

POLL_LINK_PREFIX = "cpl_"


def new_poll_link(session: Session, invitee: PollInvitee, poll: SchedulingPoll, settings: Settings) -> str:
    """A fresh link for ``invitee``; returns its URL (the only place the token ever appears)."""
    token = new_token(POLL_LINK_PREFIX)
    expires_at = poll.closes_at + dt.timedelta(days=settings.polls.link_days_after_close)
    session.add(PollLink(invitee_id=invitee.id, token_hash=token_digest(token), expires_at=expires_at))
    return f"{settings.app.base_url}/poll/{token}"


async def invitee_of_link(session: AsyncSession, token: str) -> PollInvitee | None:
    """The invitee the link belongs to (with person and poll), while it works."""
    return await session.scalar(
        select(PollInvitee)
        .join(PollLink, PollLink.invitee_id == PollInvitee.id)
        .where(PollLink.token_hash == token_digest(token), PollLink.expires_at > dt.datetime.now(dt.UTC))
        .options(joinedload(PollInvitee.person), joinedload(PollInvitee.poll))
    )


async def revoke_poll_links(session: AsyncSession, person_id: UUID) -> int:
    """Cut every poll link sent to the person; returns how many there were (their answers stay)."""
    result = await session.execute(
        delete(PollLink).where(
            PollLink.invitee_id.in_(select(PollInvitee.id).where(PollInvitee.person_id == person_id))
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
