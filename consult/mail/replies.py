"""Addresses that make outgoing mail answerable and traceable.

- ``Reply-To: reply+TOKEN@domain``: a random token per email, stored as a digest with the person and
  what a reply answers (consult.inbound turns the reply into a comment). An email about an
  invitation or a round names it; for other kinds the domain that owns them finds the target.
- The envelope sender ``bounce+<outbox row id>@domain`` (VERP): a bounce names the delivery it is about.
- ``List-Unsubscribe`` (mailto and https, RFC 8058 one-click) on reminders and digests; the token is
  the person's id signed with the secret key, so it needs no table.

Tokens are lower-case base32 and hex: mail systems that fold the case of local parts keep them intact.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from consult.auth.tokens import token_digest
from consult.mail.models import EmailKind, OutboundEmail, ReplyToken
from consult.settings import Settings

REPLY_LOCAL = "reply"
BOUNCE_LOCAL = "bounce"
UNSUBSCRIBE_LOCAL = "unsub"

# Kinds a person may unsubscribe from; invitations, updates and answers to their own comments still come.
UNSUBSCRIBABLE = frozenset(
    {EmailKind.REMINDER, EmailKind.ROUND_CLOSING, EmailKind.REPLY_DIGEST, EmailKind.POLL_REMINDER}
)

_REPLY_RE = re.compile(rf"\b{REPLY_LOCAL}\+([a-z2-7]{{24}})@", re.IGNORECASE)
_BOUNCE_RE = re.compile(rf"\b{BOUNCE_LOCAL}\+([0-9a-f]{{32}})@", re.IGNORECASE)
_UNSUBSCRIBE_RE = re.compile(rf"\b{UNSUBSCRIBE_LOCAL}\+([0-9a-f]{{52}})@", re.IGNORECASE)


def new_reply_token() -> str:
    return base64.b32encode(secrets.token_bytes(15)).decode().lower()


def reply_token_in(text: str) -> str | None:
    match = _REPLY_RE.search(text)
    return match.group(1).lower() if match else None


def bounce_id_in(text: str) -> UUID | None:
    match = _BOUNCE_RE.search(text)
    return UUID(hex=match.group(1).lower()) if match else None


def unsubscribe_token_in(text: str) -> str | None:
    match = _UNSUBSCRIBE_RE.search(text)
    return match.group(1).lower() if match else None


def verp_address(settings: Settings, row_id: UUID) -> str:
    return f"{BOUNCE_LOCAL}+{row_id.hex}@{settings.mail.domain}"


def _signature(settings: Settings, person_id: UUID) -> str:
    key = settings.app.secret_key.encode()
    return hmac.new(key, b"unsubscribe:" + person_id.bytes, hashlib.sha256).hexdigest()[:20]


def unsubscribe_token(settings: Settings, person_id: UUID) -> str:
    return person_id.hex + _signature(settings, person_id)


def person_of_unsubscribe_token(settings: Settings, token: str) -> UUID | None:
    token = token.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{52}", token):
        return None
    person_id = UUID(hex=token[:32])
    return person_id if hmac.compare_digest(token[32:], _signature(settings, person_id)) else None


def list_unsubscribe_headers(settings: Settings, person_id: UUID) -> dict[str, str]:
    token = unsubscribe_token(settings, person_id)
    return {
        "List-Unsubscribe": (
            f"<mailto:{UNSUBSCRIBE_LOCAL}+{token}@{settings.mail.domain}>, "
            f"<{settings.app.base_url}/unsubscribe/{token}>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


ReplyTargets = Callable[[Session, Sequence[OutboundEmail]], dict[UUID, ReplyToken]]
"""What a reply answers, for rows of a kind that do not name it themselves (a response to a comment, a
digest of replies): a token per row with its target set (the round, the comment thread). The domain
that owns the kind says so in its ``KindHandler``; rows left out get no ``Reply-To``."""


def _targets(
    session: Session, rows: Sequence[OutboundEmail], find_targets: Mapping[EmailKind, ReplyTargets]
) -> dict[UUID, ReplyToken]:
    """What a reply to each row answers (rows nobody can usefully answer are left out)."""
    targets: dict[UUID, ReplyToken] = {}
    by_kind: dict[EmailKind, list[OutboundEmail]] = {}
    for row in rows:
        if row.person_id is None:
            continue  # staff mail (exports): nothing to answer
        if row.invitation_id is not None:
            targets[row.id] = ReplyToken(invitation_id=row.invitation_id)
        elif "round_id" in row.context:
            targets[row.id] = ReplyToken(round_id=UUID(row.context["round_id"]))
        elif row.kind in find_targets:
            by_kind.setdefault(row.kind, []).append(row)
    for kind, kind_rows in by_kind.items():
        targets |= find_targets[kind](session, kind_rows)
    for row in rows:
        if row.id in targets:
            targets[row.id].person_id = row.person_recipient
            targets[row.id].outbound_email_id = row.id
    return targets


async def revoke_reply_tokens(session: AsyncSession, person_id: UUID, round_id: UUID | None = None) -> int:
    """Forget the person's reply addresses (only those about ``round_id`` if given): a reply to one is
    then an unknown address, answered without a fresh link. Returns how many there were."""
    stmt = delete(ReplyToken).where(ReplyToken.person_id == person_id)
    if round_id is not None:
        stmt = stmt.where(ReplyToken.round_id == round_id)
    return int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


def reply_addresses(
    session: Session,
    settings: Settings,
    rows: Sequence[OutboundEmail],
    find_targets: Mapping[EmailKind, ReplyTargets],
) -> dict[UUID, str]:
    """A fresh ``reply+TOKEN@`` address per row that can be answered; the tokens are added to the session."""
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.mail.reply_token_days)
    addresses: dict[UUID, str] = {}
    for row_id, target in _targets(session, rows, find_targets).items():
        token = new_reply_token()
        target.token_hash = token_digest(token)
        target.expires_at = expires_at
        session.add(target)
        addresses[row_id] = f"{REPLY_LOCAL}+{token}@{settings.mail.domain}"
    return addresses
