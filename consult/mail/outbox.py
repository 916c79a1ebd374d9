"""The transactional outbox: rows written with the change that causes them, handed to Celery only
after the transaction commits. A relay re-dispatches rows the broker never got."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from consult.mail.compose import new_message_id
from consult.mail.models import EmailKind, OutboundEmail

logger = logging.getLogger(__name__)

SEND_TASK = "consult.send_emails"
BATCH_SIZE = 50
_PENDING_KEY = "consult.outbox"


def mail_domain(mail_from: str) -> str:
    return mail_from.rpartition("@")[2] or "localhost"


def enqueue(
    session: Session | AsyncSession,
    *,
    kind: EmailKind,
    domain: str,
    person_id: UUID | None = None,
    staff_user_id: UUID | None = None,
    invitation_id: UUID | None = None,
    context: dict[str, Any] | None = None,
    in_reply_to: str | None = None,
) -> OutboundEmail:
    """Add an email to the outbox in the caller's transaction; it is dispatched after commit.
    The recipient is a person of the directory or a staff user."""
    if (person_id is None) == (staff_user_id is None):
        raise ValueError("an email goes to either a person or a staff user")
    now = dt.datetime.now(dt.UTC)
    row = OutboundEmail(
        kind=kind,
        person_id=person_id,
        staff_user_id=staff_user_id,
        invitation_id=invitation_id,
        context=context or {},
        message_id=new_message_id(domain),
        in_reply_to=in_reply_to,
        next_attempt_at=now,
        dispatched_at=now,
    )
    session.add(row)
    session.info.setdefault(_PENDING_KEY, []).append(row)
    return row


def committed_ids(session: Session | AsyncSession) -> list[UUID]:
    """Ids of the rows this session enqueued; call after a successful commit."""
    rows: list[OutboundEmail] = session.info.pop(_PENDING_KEY, [])
    return [row.id for row in rows]


def forget_pending(session: Session | AsyncSession) -> None:
    session.info.pop(_PENDING_KEY, None)


def dispatch(ids: Iterable[UUID]) -> None:
    """Hand ids to the workers in batches (one SMTP connection per batch). A broker that is down
    only delays delivery: the rows stay pending and the relay dispatches them again."""
    from workers.app import celery_app

    batch: list[str] = []
    try:
        for row_id in ids:
            batch.append(str(row_id))
            if len(batch) == BATCH_SIZE:
                celery_app.send_task(SEND_TASK, args=[batch])
                batch = []
        if batch:
            celery_app.send_task(SEND_TASK, args=[batch])
    except Exception:
        logger.warning("broker unavailable; the outbox relay will dispatch the emails", exc_info=True)
