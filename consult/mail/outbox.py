"""The transactional outbox: rows written with the change that causes them, handed to Celery only
after the transaction commits (``consult.jobs``). A relay re-dispatches rows the broker never got."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from uuid_utils.compat import uuid7

from consult.jobs import defer_batched
from consult.mail.compose import new_message_id
from consult.mail.models import EmailKind, OutboundEmail

SEND_TASK = "consult.send_emails"
BATCH_SIZE = 50


def mail_domain(mail_from: str) -> str:
    return mail_from.rpartition("@")[2] or "localhost"


def enqueue(
    session: Session | AsyncSession,
    *,
    kind: EmailKind,
    domain: str,
    person_id: UUID | None = None,
    staff_user_id: UUID | None = None,
    to_address: str | None = None,
    invitation_id: UUID | None = None,
    context: dict[str, Any] | None = None,
    in_reply_to: str | None = None,
) -> OutboundEmail:
    """Add an email to the outbox in the caller's transaction; it is dispatched after commit.
    The recipient is a person of the directory, a staff user, or a plain (validated) address."""
    if sum(r is not None for r in (person_id, staff_user_id, to_address)) != 1:
        raise ValueError("an email goes to exactly one of a person, a staff user or an address")
    now = dt.datetime.now(dt.UTC)
    row = OutboundEmail(
        id=uuid7(),  # known now, for the hand-over after commit
        kind=kind,
        person_id=person_id,
        staff_user_id=staff_user_id,
        to_address=to_address,
        invitation_id=invitation_id,
        context=context or {},
        message_id=new_message_id(domain),
        in_reply_to=in_reply_to,
        next_attempt_at=now,
        dispatched_at=now,
    )
    session.add(row)
    send_after_commit(session, row.id)
    return row


def send_after_commit(session: Session | AsyncSession, email_id: UUID) -> None:
    """The email goes to the workers once the session commits, in batches (one SMTP connection each)."""
    defer_batched(session, SEND_TASK, str(email_id), BATCH_SIZE)
