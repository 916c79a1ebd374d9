from __future__ import annotations

import datetime as dt
from uuid import UUID

from msgspec import Struct

from consult.inbound.models import InboundMessage, InboundOutcome, InboundState


class Received(Struct):
    id: UUID
    duplicate: bool  # the same Message-ID (or the same bytes) was handed over before
    state: InboundState
    outcome: InboundOutcome | None


class LogEntry(Struct):
    id: UUID
    received_at: dt.datetime
    source: str
    message_id: str | None
    from_address: str | None
    subject: str | None
    state: InboundState
    outcome: InboundOutcome | None
    reason: str | None
    answered: bool
    person_id: UUID | None
    comment_id: UUID | None
    invitation_id: UUID | None
    outbound_email_id: UUID | None
    processed_at: dt.datetime | None

    @classmethod
    def from_model(cls, message: InboundMessage) -> LogEntry:
        return cls(
            id=message.id,
            received_at=message.created_at,
            source=message.source,
            message_id=message.message_id,
            from_address=message.from_address,
            subject=message.subject,
            state=message.state,
            outcome=message.outcome,
            reason=message.reason,
            answered=message.answered_at is not None,
            person_id=message.person_id,
            comment_id=message.comment_id,
            invitation_id=message.invitation_id,
            outbound_email_id=message.outbound_email_id,
            processed_at=message.processed_at,
        )


class AttachmentOut(Struct):
    id: UUID
    comment_id: UUID
    filename: str
    content_type: str
    size: int
    url: str
