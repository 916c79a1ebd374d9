"""Staff users and their tokens as admins manage them through the API (the command line has its own
in ``service``): list, issue a token, revoke one, deactivate a user."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.models import Role, StaffToken, StaffUser
from consult.auth.service import issue_token
from consult.crud import get_or_404, page_of
from consult.errors import Conflict, NotFound
from consult.pagination import PageParams


async def list_users(session: AsyncSession, page: PageParams) -> tuple[list[StaffUser], int]:
    return await page_of(session, select(StaffUser).order_by(StaffUser.email), page)


async def tokens_of(session: AsyncSession, user_id: UUID) -> list[StaffToken]:
    """Every token of the user, revoked and expired ones too, newest first."""
    await get_or_404(session, StaffUser, user_id, "staff user")
    stmt = select(StaffToken).where(StaffToken.user_id == user_id).order_by(StaffToken.created_at.desc())
    return list((await session.scalars(stmt)).all())


async def create_token(session: AsyncSession, user_id: UUID, label: str, days: int) -> tuple[StaffToken, str]:
    user = await get_or_404(session, StaffUser, user_id, "staff user")
    if not user.is_active:
        raise Conflict(f"staff user {user.email} is deactivated")
    row, token = issue_token(user, label, days)
    session.add(row)
    await session.flush()
    return row, token


async def revoke_token(session: AsyncSession, user_id: UUID, token_id: UUID) -> StaffToken:
    """Revoking a revoked token changes nothing."""
    row = await session.get(StaffToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"staff user {user_id} has no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        await session.flush()
    return row


async def deactivate_user(session: AsyncSession, user_id: UUID) -> StaffUser:
    """The user's tokens stop working at once, and are revoked, so that giving the user a role again
    (``consult users create``) brings none of them back. The last active admin stays: nobody could
    manage staff after that."""
    user = await get_or_404(session, StaffUser, user_id, "staff user")
    if not user.is_active:
        return user
    if user.role is Role.ADMIN:
        # Locked, so that two admins deactivating each other at once cannot both succeed.
        active_admins = await session.scalars(
            select(StaffUser.id)
            .where(StaffUser.role == Role.ADMIN, StaffUser.is_active.is_(True))
            .with_for_update()
        )
        if list(active_admins) == [user.id]:
            raise Conflict("the last active admin cannot be deactivated")
    user.is_active = False
    await session.execute(
        update(StaffToken)
        .where(StaffToken.user_id == user_id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    await session.flush()
    return user
