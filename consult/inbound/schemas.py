from __future__ import annotations

import datetime as dt
from typing import Any, Self
from uuid import UUID

from msgspec import Struct

from consult.crud import ModelOut
from consult.directory.models import Person
from consult.inbound.models import InboundMessage, InboundOutcome, InboundState


class MailStatus(ModelOut):
    """Whether mail reaches the person: their unsubscribe and their last hard bounce."""

    person_id: UUID
    unsubscribed_at: dt.datetime | None
    bounced_at: dt.datetime | None
    bounce_reason: str | None

    @classmethod
    def from_model(cls, row: Person, **computed: Any) -> Self:
        return super().from_model(row, person_id=row.id, **computed)


class LinksRevoked(Struct):
    """How many links of each kind were cut. Unsubscribe links are not among them: they are signed,
    not stored, and only ever stop reminders and digests."""

    person_id: UUID
    round_links: int
    rsvp_links: int
    poll_links: int
    questionnaire_links: int
    personal_page_links: int
    reply_addresses: int


class Received(Struct):
    id: UUID
    duplicate: bool  # the same Message-ID (or the same bytes) was handed over before
    state: InboundState
    outcome: InboundOutcome | None


class LogEntry(ModelOut):
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
    def from_model(cls, row: InboundMessage, **computed: Any) -> Self:
        return super().from_model(
            row, received_at=row.created_at, answered=row.answered_at is not None, **computed
        )
