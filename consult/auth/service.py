from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

from consult.auth.models import Role, StaffToken, StaffUser
from consult.auth.principals import StaffPrincipal
from consult.auth.tokens import STAFF_PREFIX, new_token, token_digest
from consult.db import fetch_rows
from consult.errors import Invalid, NotFound


def normalise_email(raw: str, field: str = "email") -> str:
    """Syntax check only (no DNS): directories hold addresses of closed networks too."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid.field(field, str(exc)) from exc


@dataclass(frozen=True)
class IssuedToken:
    user: StaffUser
    token: str
    expires_at: dt.datetime


# How much of a token is kept in clear to tell tokens apart: the kind and 8 of its 43 random characters.
PREFIX_LENGTH = len(STAFF_PREFIX) + 8


def issue_token(user: StaffUser, label: str, days: int) -> tuple[StaffToken, str]:
    """A new token row for the user (to add to the session) and the token, which is shown only once."""
    token = new_token(STAFF_PREFIX)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    row = StaffToken(
        user=user,
        token_hash=token_digest(token),
        prefix=token[:PREFIX_LENGTH],
        label=label,
        expires_at=expires_at,
    )
    return row, token


def create_staff_user(session: Session, email: str, role: Role, *, token_days: int) -> IssuedToken:
    """Create a staff user (or reuse one with that email) and issue a new token for it."""
    address = normalise_email(email)
    user = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if user is None:
        user = StaffUser(email=address, role=role, is_active=True)
        session.add(user)
    else:
        user.role = role
        user.is_active = True
    record, token = issue_token(user, "cli", token_days)
    session.add(record)
    session.flush()
    return IssuedToken(user=user, token=token, expires_at=record.expires_at)


def staff_with_tokens(session: Session) -> list[StaffUser]:
    """Every staff user by email, with their tokens (oldest first) loaded."""
    stmt = select(StaffUser).options(selectinload(StaffUser.tokens)).order_by(StaffUser.email)
    users = list(session.scalars(stmt).all())
    for user in users:
        user.tokens.sort(key=lambda token: token.created_at)
    return users


def revoke_staff_tokens(session: Session, email: str) -> int:
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no staff user {email}")
    result = session.execute(
        update(StaffToken)
        .where(StaffToken.user_id == user.id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# Built once: every request resolves its token (see fetch_rows).
_STAFF_BY_TOKEN = (
    select(StaffUser.id, StaffUser.email, StaffUser.role, StaffToken.id, StaffToken.last_used_at)
    .join(StaffToken, StaffToken.user_id == StaffUser.id)
    .where(
        StaffToken.token_hash == bindparam("digest"),
        StaffToken.revoked_at.is_(None),
        StaffToken.expires_at > bindparam("now"),
        StaffUser.is_active.is_(True),
    )
)


# A token's last use is known to the minute: it costs a write at most once a minute per token.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


async def resolve_staff_token(session: AsyncSession, token: str) -> StaffPrincipal | None:
    now = dt.datetime.now(dt.UTC)
    rows = await fetch_rows(
        await session.connection(), _STAFF_BY_TOKEN, {"digest": token_digest(token), "now": now}
    )
    if not rows:
        return None
    [(user_id, email, role, token_id, last_used_at)] = rows  # the digest is unique
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        await _note_use(session, token_id, now)
    return StaffPrincipal(user_id=user_id, email=email, role=Role(role))


async def _note_use(session: AsyncSession, token_id: UUID, now: dt.datetime) -> None:
    """Record the token's use in a short transaction of its own on another pooled connection: the
    request's session may be a read-only one (a GET writes nothing), and a write's session has not
    begun. The condition makes concurrent first uses write once; the change is bookkeeping, written
    on a connection and so not audited."""
    engine = (await session.connection()).engine
    async with engine.begin() as connection:
        await connection.execute(
            update(StaffToken)
            .where(
                StaffToken.id == token_id,
                or_(StaffToken.last_used_at.is_(None), StaffToken.last_used_at <= now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
        )
