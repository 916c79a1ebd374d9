"""Personal round links, ``{base_url}/r/{token}``: the token is also a bearer token for the parts
of the API a stakeholder may use. Random, shown only in the email, stored as a digest; it works
until some days after the round closes (to read; comments need the round open), or until it is cut:
the person is removed from the round, or their links are revoked (every request looks it up)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from consult.auth.principals import StakeholderPrincipal
from consult.auth.tokens import new_token, token_digest
from consult.db import fetch_rows
from consult.rounds.models import CommentRound, RoundInvitee, RoundLink
from consult.settings import Settings

ROUND_LINK_PREFIX = "csr_"


def link_expiry(round_: CommentRound, settings: Settings) -> dt.datetime:
    return round_.closes_at + dt.timedelta(days=settings.rounds.link_days_after_close)


def new_round_link(session: Session, invitee: RoundInvitee, round_: CommentRound, settings: Settings) -> str:
    """A fresh link for ``invitee``; returns its URL (the only place the token ever appears)."""
    token = new_token(ROUND_LINK_PREFIX)
    session.add(
        RoundLink(
            invitee_id=invitee.id, token_hash=token_digest(token), expires_at=link_expiry(round_, settings)
        )
    )
    return f"{settings.app.base_url}/r/{token}"


# Built once: every stakeholder request resolves its token (see fetch_rows).
_INVITEE_BY_TOKEN = (
    select(RoundInvitee.person_id, RoundInvitee.round_id)
    .join(RoundLink, RoundLink.invitee_id == RoundInvitee.id)
    .where(RoundLink.token_hash == bindparam("digest"), RoundLink.expires_at > bindparam("now"))
)


async def resolve_round_token(session: AsyncSession, token: str) -> StakeholderPrincipal | None:
    params = {"digest": token_digest(token), "now": dt.datetime.now(dt.UTC)}
    rows = await fetch_rows(await session.connection(), _INVITEE_BY_TOKEN, params)
    if not rows:
        return None
    [(person_id, round_id)] = rows  # the digest is unique
    return StakeholderPrincipal(person_id=person_id, round_id=round_id)


async def revoke_round_links(session: AsyncSession, person_id: UUID) -> int:
    """Cut every round link of the person, in every round; returns how many there were."""
    result = await session.execute(
        delete(RoundLink).where(
            RoundLink.invitee_id.in_(select(RoundInvitee.id).where(RoundInvitee.person_id == person_id))
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
