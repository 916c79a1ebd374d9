"""Worker side of the outbox: claim rows atomically, compose, send over one connection, record.

Each row is claimed with a single UPDATE (``consult.claims``), so a task delivered twice (acks_late,
redelivery after a crash, the relay) sends nothing twice; the claim of a killed worker is free as soon
as its heartbeat stops, that of a stuck one after the lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from consult.claims import claim, due_for_relay
from consult.directory.models import Person
from consult.mail.compose import Letter, OutgoingEmail, render_message
from consult.mail.models import EmailKind, OutboundEmail, OutboxState
from consult.mail.outbox import send_after_commit
from consult.mail.replies import (
    UNSUBSCRIBABLE,
    ReplyTargets,
    list_unsubscribe_headers,
    reply_addresses,
    verp_address,
)
from consult.mail.smtp import Outcome, RateLimiter, Result, SmtpConfig, deliver
from consult.settings import Settings

logger = logging.getLogger(__name__)

Composer = Callable[[Session, Sequence[OutboundEmail], Settings], dict[UUID, Letter]]
# Called with rows that reached sent or failed, or went back to pending for a retry.
ResultListener = Callable[[Session, Sequence[OutboundEmail]], None]

# Outcomes are committed after this many messages, or after this long, whichever comes first.
RECORD_EVERY = 10
RECORD_SECONDS = 0.5


@dataclass(frozen=True)
class KindHandler:
    """How a domain turns its outbox rows into letters, hears how delivery went, and (for rows that
    name neither an invitation nor a round) says what a reply answers."""

    compose: Composer
    on_result: ResultListener | None = None
    reply_targets: ReplyTargets | None = None


HANDLERS: dict[EmailKind, KindHandler] = {}


def register(handlers: Mapping[EmailKind, KindHandler]) -> None:
    """How each kind is composed; see ``consult.email_kinds``."""
    HANDLERS.update(handlers)


def retry_delay(attempts: int, settings: Settings) -> dt.timedelta:
    """Exponential backoff with full jitter, capped; always far below the broker's visibility timeout."""
    ceiling = min(
        settings.outbox.retry_base_seconds * 2 ** max(attempts - 1, 0), settings.outbox.retry_max_seconds
    )
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not security


def _claim(session: Session, ids: Sequence[UUID], settings: Settings) -> list[OutboundEmail]:
    claimed = claim(
        session,
        OutboundEmail,
        ids,
        lease_seconds=settings.outbox.claim_lease_seconds,
        ready=OutboundEmail.next_attempt_at <= dt.datetime.now(dt.UTC),
    )
    if not claimed:
        return []
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(claimed))).all())


def _outcome_values(row: OutboundEmail, result: Result, settings: Settings) -> dict[str, Any]:
    """The row's columns after this attempt: sent, retried later with backoff, or failed."""
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {
        "state": OutboxState.FAILED,
        "sent_at": row.sent_at,
        "next_attempt_at": row.next_attempt_at,
        "dispatched_at": row.dispatched_at,
        "last_error": result.detail[:2000],
    }
    if result.outcome is Outcome.SENT:
        values |= {"state": OutboxState.SENT, "sent_at": now, "last_error": None}
    elif result.outcome is Outcome.RETRY and row.attempts < settings.outbox.max_attempts:
        values |= {
            "state": OutboxState.PENDING,
            "next_attempt_at": now + retry_delay(row.attempts, settings),
            "dispatched_at": None,
        }
    elif result.outcome is Outcome.RETRY:
        values["last_error"] = f"gave up after {row.attempts} attempts: {result.detail}"[:2000]
    return values


_table = cast(Table, OutboundEmail.__table__)
_RECORD = (
    update(_table)
    .where(_table.c.id == bindparam("row_id"))
    .values(
        {
            name: bindparam(name)
            for name in ("state", "sent_at", "next_attempt_at", "dispatched_at", "last_error")
        }
    )
)


def _record(session: Session, outcomes: Sequence[tuple[OutboundEmail, Result]], settings: Settings) -> None:
    """Store the outcomes of several messages in one round trip and commit them."""
    if not outcomes:
        return
    params = []
    for row, result in outcomes:
        values = _outcome_values(row, result, settings)
        for name, value in values.items():
            set_committed_value(row, name, value)
        params.append({"row_id": row.id, **values})
    session.connection().execute(_RECORD, params)
    _tell_handlers(session, [row for row, _ in outcomes])
    session.commit()


def _tell_handlers(session: Session, rows: Sequence[OutboundEmail]) -> None:
    """Each kind's handler learns how its emails fared (an invitation shows its delivery state)."""
    by_kind: dict[EmailKind, list[OutboundEmail]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, kind_rows in by_kind.items():
        handler = HANDLERS.get(kind)
        if handler and handler.on_result:
            handler.on_result(session, kind_rows)


class _Recorder:
    """Collects outcomes and commits them every few messages (and at the end of the batch): a
    worker killed mid-batch re-sends at most the messages since the last commit."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.pending: list[tuple[OutboundEmail, Result]] = []
        self.last_flush = time.monotonic()
        self.sent = 0

    def add(self, row: OutboundEmail, result: Result) -> None:
        self.sent += result.outcome is Outcome.SENT
        self.pending.append((row, result))
        if len(self.pending) >= RECORD_EVERY or time.monotonic() - self.last_flush > RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        _record(self.session, self.pending, self.settings)
        self.pending = []
        self.last_flush = time.monotonic()


def _compose_all(
    session: Session, rows: Sequence[OutboundEmail], settings: Settings
) -> tuple[list[OutboundEmail], list[OutgoingEmail]]:
    """Letters for the rows that compose; a row that cannot be composed fails with the reason."""
    ready_rows: list[OutboundEmail] = []
    ready: list[OutgoingEmail] = []
    unsendable: list[tuple[OutboundEmail, Result]] = []
    by_kind: dict[EmailKind, list[OutboundEmail]] = {}
    rows = _suppress(session, rows)
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    find_targets = {kind: h.reply_targets for kind, h in HANDLERS.items() if h.reply_targets}
    reply_to = reply_addresses(session, settings, rows, find_targets)
    for kind, kind_rows in by_kind.items():
        handler = HANDLERS.get(kind)
        letters = handler.compose(session, kind_rows, settings) if handler else {}
        for row in kind_rows:
            letter = letters.get(row.id)
            if letter is None:
                unsendable.append((row, Result(Outcome.FAILED, f"nothing to send for {kind.value} email")))
                continue
            headers = dict(letter.headers)
            if row.id in reply_to:
                headers["Reply-To"] = reply_to[row.id]
            if kind in UNSUBSCRIBABLE and row.person_id is not None:
                headers |= list_unsubscribe_headers(settings, row.person_id)
            ready_rows.append(row)
            ready.append(
                OutgoingEmail(
                    raw=render_message(replace(letter, headers=headers)),
                    envelope_from=verp_address(settings, row.id),
                    recipient=letter.recipient.addr_spec,
                )
            )
    _record(session, unsendable, settings)
    session.commit()
    return ready_rows, ready


def _suppress(session: Session, rows: Sequence[OutboundEmail]) -> list[OutboundEmail]:
    """Rows to people whose data was erased, whose address bounced, or who unsubscribed from the row's
    kind, are not sent; returns the others."""
    people = {
        person_id: (erased_at, bounced_at, unsubscribed_at)
        for person_id, erased_at, bounced_at, unsubscribed_at in session.execute(
            select(Person.id, Person.erased_at, Person.bounced_at, Person.unsubscribed_at).where(
                Person.id.in_({row.person_id for row in rows if row.person_id is not None})
            )
        ).tuples()
    }
    keep: list[OutboundEmail] = []
    suppressed: list[OutboundEmail] = []
    for row in rows:
        erased_at, bounced_at, unsubscribed_at = (
            people.get(row.person_id, (None, None, None)) if row.person_id else (None, None, None)
        )
        reason = None
        if erased_at is not None:
            reason = "not sent: the person's data was erased"
        elif bounced_at is not None:
            reason = "not sent: the address bounced; an organiser can clear that"
        elif unsubscribed_at is not None and row.kind in UNSUBSCRIBABLE:
            reason = "not sent: the person unsubscribed from reminders and digests"
        if reason is None:
            keep.append(row)
            continue
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == row.id)
            .values(state=OutboxState.SUPPRESSED, last_error=reason)
        )
        set_committed_value(row, "state", OutboxState.SUPPRESSED)
        set_committed_value(row, "last_error", reason)
        suppressed.append(row)
    _tell_handlers(session, suppressed)
    return keep


def send_batch(sessions: sessionmaker[Session], settings: Settings, ids: Sequence[UUID]) -> int:
    """Send the claimable rows among ``ids``; returns how many were sent."""
    with sessions() as session:
        rows = _claim(session, ids, settings)
        if not rows:
            return 0
        ready_rows, outgoing = _compose_all(session, rows, settings)
        recorder = _Recorder(session, settings)
        config = SmtpConfig.from_url(settings.mail.smtp_url, settings.mail.smtp_timeout)
        try:
            asyncio.run(
                deliver(
                    config,
                    outgoing,
                    lambda index, result: recorder.add(ready_rows[index], result),
                    RateLimiter(settings.outbox.rate_per_second),
                    connections=settings.outbox.smtp_connections,
                )
            )
        finally:
            recorder.flush()
        return recorder.sent


def relay(sessions: sessionmaker[Session], settings: Settings) -> int:
    """Re-dispatch rows the broker lost or never got, rows whose retry time has come, and rows whose
    worker is gone or overran its lease."""
    with sessions() as session:
        due = due_for_relay(
            session,
            OutboundEmail,
            grace_seconds=settings.outbox.relay_grace_seconds,
            lease_seconds=settings.outbox.claim_lease_seconds,
            ready=OutboundEmail.next_attempt_at <= dt.datetime.now(dt.UTC),
            order_by=OutboundEmail.next_attempt_at,
            limit=settings.outbox.relay_limit,
        )
        for email_id in due:
            send_after_commit(session, email_id)
        session.commit()
    return len(due)
