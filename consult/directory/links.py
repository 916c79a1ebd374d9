"""Personal page links, ``{base_url}/p/{token}``: random, shown only in emails, stored as a digest,
working for a number of days (settings.app.personal_page_link_days) or until revoked."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from consult.auth.tokens import new_token, token_digest
from consult.directory.models import Person, PersonLink
from consult.settings import Settings

PERSON_LINK_PREFIX = "cpp_"


def new_person_link(session: Session, person_id: UUID, settings: Settings) -> str:
    """A fresh link for the person; returns its URL (the only place the token ever appears)."""
    token = new_token(PERSON_LINK_PREFIX)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.app.personal_page_link_days)
    session.add(PersonLink(person_id=person_id, token_hash=token_digest(token), expires_at=expires_at))
    return f"{settings.app.base_url}/p/{token}"


async def person_of_link(session: AsyncSession, token: str) -> Person | None:
    """The person the link belongs to, while it works; None for unknown, expired or revoked links and
    for people whose data was erased."""
    return await session.scalar(
        select(Person)
        .join(PersonLink, PersonLink.person_id == Person.id)
        .where(
            PersonLink.token_hash == token_digest(token),
            PersonLink.expires_at > dt.datetime.now(dt.UTC),
            Person.erased_at.is_(None),
        )
    )


async def revoke_person_links(session: AsyncSession, person_id: UUID) -> int:
    """Cut every personal page link of the person; returns how many there were."""
    result = await session.execute(delete(PersonLink).where(PersonLink.person_id == person_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
