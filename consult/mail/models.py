from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consult.claims import Leased
from consult.db import Base, str_enum
from consult.drafts.models import SECTION_KEY_LENGTH


class EmailKind(enum.StrEnum):
    INVITATION = "invitation"
    EVENT_UPDATE = "event_update"
    EVENT_CANCELLED = "event_cancelled"
    UNINVITED = "uninvited"
    REMINDER = "reminder"
    WAITLISTED = "waitlisted"
    WAITLIST_PROMOTED = "waitlist_promoted"
    ROUND_OPENED = "round_opened"
    ROUND_EXTENDED = "round_extended"
    ROUND_CLOSING = "round_closing"
    COMMENT_RESPONSE = "comment_response"
    REPLY_DIGEST = "reply_digest"
    EXPORT_READY = "export_ready"
    POLL_INVITATION = "poll_invitation"
    POLL_REMINDER = "poll_reminder"
    POLL_DECIDED = "poll_decided"
    QUESTIONNAIRE_INVITATION = "questionnaire_invitation"
    QUESTIONNAIRE_REMINDER = "questionnaire_reminder"
    QUESTIONNAIRE_CONFIRMATION = "questionnaire_confirmation"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"  # sent, then a delivery status notification came back
    SUPPRESSED = "suppressed"  # not sent: the person unsubscribed from this kind, or their address bounced


class OutboundEmail(Leased, Base):
    """The transactional outbox: written in the transaction that causes the email, sent by a worker.

    The message is rendered when it is sent, from the rows it points at, so a fan-out of thousands
    costs the request only the inserts.
    """

    WAITING = OutboxState.PENDING
    WORKING = OutboxState.SENDING

    __tablename__ = "outbound_email"
    __table_args__ = (
        Index("ix_outbound_email_due", "state", "next_attempt_at"),
        CheckConstraint(
            "person_id IS NOT NULL OR staff_user_id IS NOT NULL OR to_address IS NOT NULL", name="recipient"
        ),
    )

    kind: Mapped[EmailKind] = mapped_column(str_enum(EmailKind))
    # Who receives it: a person of the directory, or a staff user (exports, for instance).
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True, default=None
    )
    # ... or a plain address that is neither (a respondent of an open questionnaire confirming their
    # answer), checked with ``consult.auth.service.normalise_email`` before it is stored.
    to_address: Mapped[str | None] = mapped_column(String(320), default=None)
    invitation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True, default=None
    )
    context: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), default=dict)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300), default=None)
    state: Mapped[OutboxState] = mapped_column(str_enum(OutboxState), default=OutboxState.PENDING)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def person_recipient(self) -> UUID:
        """The person an email of a person-addressed kind goes to (round and invitation emails)."""
        if self.person_id is None:
            raise ValueError(f"{self.kind.value} email {self.id} has no person recipient")
        return self.person_id


class ReplyToken(Base):
    """The token of a ``reply+TOKEN@`` address carried by one email: whose it is and what a reply to
    it answers (a round, a comment thread, an invitation). Only the digest is stored."""

    __tablename__ = "reply_token"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    outbound_email_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("outbound_email.id", ondelete="SET NULL"), default=None
    )
    round_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("comment_round.id", ondelete="CASCADE"), index=True, default=None
    )
    # The comment a reply answers (a reply goes into its thread); None: a new comment on the round.
    comment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), default=None
    )
    section_key: Mapped[str | None] = mapped_column(String(SECTION_KEY_LENGTH), default=None)
    invitation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True, default=None
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
