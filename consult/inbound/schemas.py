from __future__ import annotations

import datetime as dt
from uuid import UUID

from msgspec import Struct

from consult.inbound.models import InboundOutcome, InboundState


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


class AttachmentOut(Struct):
    id: UUID
    comment_id: UUID
    filename: str
    content_type: str
    size: int
    url: str
