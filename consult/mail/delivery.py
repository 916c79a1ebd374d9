"""Worker side of the outbox: claim rows atomically, compose, send over one connection, record.

Each row is claimed with a single UPDATE, so a task delivered twice (acks_late, redelivery after a
crash, the relay) sends nothing twice; a claim held by a killed worker expires after the lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from consult.mail.compose import Letter, OutgoingEmail, build_message
from consult.mail.models import EmailKind, OutboundEmail, OutboxState
from consult.mail.outbox import dispatch
from consult.mail.smtp import Outcome, RateLimiter, Result, SmtpConfig, deliver
from consult.settings import Settings

logger = logging.getLogger(__name__)

Composer = Callable[[Session, Sequence[OutboundEmail], Settings], dict[UUID, Letter]]
# Called once a row reaches sent or failed, or goes back to pending for a retry.
ResultListener = Callable[[Session, OutboundEmail], None]


@dataclass(frozen=True)
class KindHandler:
    """How a domain turns its outbox rows into letters, and hears how delivery went."""

    compose: Composer
    on_result: ResultListener | None = None


HANDLERS: dict[EmailKind, KindHandler] = {}


def register(kinds: Sequence[EmailKind], handler: KindHandler) -> None:
    for kind in kinds:
        HANDLERS[kind] = handler


def retry_delay(attempts: int, settings: Settings) -> dt.timedelta:
    """Exponential backoff with full jitter, capped; always far below the broker's visibility timeout."""
    ceiling = min(
        settings.mail_retry_base_seconds * 2 ** max(attempts - 1, 0), settings.mail_retry_max_seconds
    )
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not security


def _claim(session: Session, ids: Sequence[UUID], settings: Settings) -> list[OutboundEmail]:
    now = dt.datetime.now(dt.UTC)
    lease_expired = now - dt.timedelta(seconds=settings.mail_claim_lease_seconds)
    claimed = session.scalars(
        update(OutboundEmail)
        .where(
            OutboundEmail.id.in_(ids),
            or_(
                and_(OutboundEmail.state == OutboxState.PENDING, OutboundEmail.next_attempt_at <= now),
                and_(OutboundEmail.state == OutboxState.SENDING, OutboundEmail.claimed_at < lease_expired),
            ),
        )
        .values(state=OutboxState.SENDING, claimed_at=now, attempts=OutboundEmail.attempts + 1)
        .returning(OutboundEmail.id)
    ).all()
    session.commit()
    if not claimed:
        return []
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(claimed))).all())


def _record(session: Session, row: OutboundEmail, result: Result, settings: Settings) -> None:
    now = dt.datetime.now(dt.UTC)
    row.last_error = None if result.outcome is Outcome.SENT else result.detail[:2000]
    if result.outcome is Outcome.SENT:
        row.state = OutboxState.SENT
        row.sent_at = now
    elif result.outcome is Outcome.RETRY and row.attempts < settings.mail_max_attempts:
        row.state = OutboxState.PENDING
        row.next_attempt_at = now + retry_delay(row.attempts, settings)
        row.dispatched_at = None
    else:
        row.state = OutboxState.FAILED
        if result.outcome is Outcome.RETRY:
            row.last_error = f"gave up after {row.attempts} attempts: {result.detail}"[:2000]
    handler = HANDLERS.get(row.kind)
    if handler and handler.on_result:
        handler.on_result(session, row)
    session.commit()


def _compose_all(
    session: Session, rows: Sequence[OutboundEmail], settings: Settings
) -> tuple[list[OutboundEmail], list[OutgoingEmail]]:
    """Letters for the rows that compose; a row that cannot be composed fails with the reason."""
    ready_rows: list[OutboundEmail] = []
    ready: list[OutgoingEmail] = []
    by_kind: dict[EmailKind, list[OutboundEmail]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, kind_rows in by_kind.items():
        handler = HANDLERS.get(kind)
        letters = handler.compose(session, kind_rows, settings) if handler else {}
        for row in kind_rows:
            letter = letters.get(row.id)
            if letter is None:
                _record(
                    session, row, Result(Outcome.FAILED, f"nothing to send for {kind.value} email"), settings
                )
                continue
            ready_rows.append(row)
            ready.append(
                OutgoingEmail(
                    message=build_message(letter),
                    envelope_from=settings.mail_from,
                    recipient=letter.recipient.addr_spec,
                )
            )
    session.commit()
    return ready_rows, ready


def send_batch(sessions: sessionmaker[Session], settings: Settings, ids: Sequence[UUID]) -> int:
    """Send the claimable rows among ``ids``; returns how many were sent."""
    with sessions() as session:
        rows = _claim(session, ids, settings)
        if not rows:
            return 0
        ready_rows, outgoing = _compose_all(session, rows, settings)
        sent = 0

        def on_result(index: int, result: Result) -> None:
            nonlocal sent
            sent += result.outcome is Outcome.SENT
            _record(session, ready_rows[index], result, settings)

        config = SmtpConfig.from_url(settings.smtp_url, settings.smtp_timeout)
        asyncio.run(deliver(config, outgoing, on_result, RateLimiter(settings.mail_rate_per_second)))
        return sent


def relay(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Re-dispatch rows the broker lost or never got, and rows whose retry time has come."""
    now = dt.datetime.now(dt.UTC)
    stale = now - dt.timedelta(seconds=settings.outbox_relay_grace_seconds)
    with sessions() as session:
        due = session.scalars(
            select(OutboundEmail.id)
            .where(
                or_(
                    and_(
                        OutboundEmail.state == OutboxState.PENDING,
                        OutboundEmail.next_attempt_at <= now,
                        or_(OutboundEmail.dispatched_at.is_(None), OutboundEmail.dispatched_at < stale),
                    ),
                    and_(
                        OutboundEmail.state == OutboxState.SENDING,
                        OutboundEmail.claimed_at
                        < now - dt.timedelta(seconds=settings.mail_claim_lease_seconds),
                    ),
                )
            )
            .order_by(OutboundEmail.next_attempt_at)
            .limit(settings.outbox_relay_limit)
        ).all()
        if not due:
            return 0
        session.execute(update(OutboundEmail).where(OutboundEmail.id.in_(due)).values(dispatched_at=now))
        session.commit()
    dispatch(due)
    return len(due)
