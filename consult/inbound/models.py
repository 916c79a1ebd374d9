"""Incoming email: every message kept as received, and what became of it."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.claims import Relayed
from consult.db import Base, str_enum


class InboundState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"


class InboundOutcome(enum.StrEnum):
    COMMENT = "comment"  # became a comment
    RSVP = "rsvp"  # a calendar answer changed an invitation
    BOUNCE = "bounce"  # a delivery status notification about one of our emails
    AUTO_REPLY = "auto_reply"  # out of office and other automatic mail: ignored
    UNSUBSCRIBED = "unsubscribed"  # mailto List-Unsubscribe
    REJECTED = "rejected"  # could not be recorded; the sender was told why
    IGNORED = "ignored"  # nothing to do with it (no token, a reply to an invitation without a calendar)


class InboundMessage(Relayed, Base):
    """One message as received. ``dedupe_key`` is the Message-ID, or the SHA-256 of the message when it
    has none, so a message handed over twice (or fetched by two pollers) is processed once."""

    WAITING = InboundState.PENDING

    __tablename__ = "inbound_message"
    __table_args__ = (Index("ix_inbound_message_state", "state", "created_at"),)

    dedupe_key: Mapped[str] = mapped_column(String(1000), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(1000), default=None)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    from_address: Mapped[str | None] = mapped_column(String(320), default=None)
    subject: Mapped[str | None] = mapped_column(String(1000), default=None)
    source: Mapped[str] = mapped_column(String(32), default="http")
    state: Mapped[InboundState] = mapped_column(str_enum(InboundState, 16), default=InboundState.PENDING)
    outcome: Mapped[InboundOutcome | None] = mapped_column(str_enum(InboundOutcome, 16), default=None)
    # Why, for the organisers' intake log; for a rejection also the code the answer is written from.
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    answer_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), default=None)
    comment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"), index=True, default=None
    )
    invitation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), default=None
    )
    outbound_email_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("outbound_email.id", ondelete="SET NULL"), default=None
    )
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The one answer to a message that could not be recorded: claimed once, then sent.
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
