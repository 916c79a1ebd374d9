from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

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


def _issue(user: StaffUser, label: str, days: int) -> tuple[StaffToken, str]:
    token = new_token(STAFF_PREFIX)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return StaffToken(user=user, token_hash=token_digest(token), label=label, expires_at=expires_at), token


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
    record, token = _issue(user, "cli", token_days)
    session.add(record)
    session.flush()
    return IssuedToken(user=user, token=token, expires_at=record.expires_at)


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
    select(StaffUser.id, StaffUser.email, StaffUser.role)
    .join(StaffToken, StaffToken.user_id == StaffUser.id)
    .where(
        StaffToken.token_hash == bindparam("digest"),
        StaffToken.revoked_at.is_(None),
        StaffToken.expires_at > bindparam("now"),
        StaffUser.is_active.is_(True),
    )
)


async def resolve_staff_token(session: AsyncSession, token: str) -> StaffPrincipal | None:
    params = {"digest": token_digest(token), "now": dt.datetime.now(dt.UTC)}
    rows = await fetch_rows(await session.connection(), _STAFF_BY_TOKEN, params)
    if not rows:
        return None
    [(user_id, email, role)] = rows  # the digest is unique
    return StaffPrincipal(user_id=user_id, email=email, role=Role(role))
