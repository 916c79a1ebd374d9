from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum
from consult.directory.models import Person
from consult.events.models import Event


class InvitationRole(enum.StrEnum):
    PARTICIPANT = "participant"
    SPEAKER = "speaker"
    CHAIR = "chair"
    OPTIONAL = "optional"


class Rsvp(enum.StrEnum):
    NEEDS_ACTION = "needs_action"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"

    @property
    def partstat(self) -> str:
        """The answer as an iCalendar PARTSTAT (RFC 5545 3.2.12)."""
        return self.value.upper().replace("_", "-")


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


class Invitation(Base):
    """A person invited to an event. Uninviting keeps the row (``withdrawn_at``) for the record."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="RESTRICT"), index=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    role: Mapped[InvitationRole] = mapped_column(str_enum(InvitationRole), default=InvitationRole.PARTICIPANT)
    rsvp: Mapped[Rsvp] = mapped_column(str_enum(Rsvp), default=Rsvp.NEEDS_ACTION)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Set while an acceptance waits for a free place at a full in-person event; the order of the list.
    waitlisted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    delivery_state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState), default=DeliveryState.QUEUED
    )
    delivery_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The event's SEQUENCE when the current answer was asked for (the invitation, or a change of time
    # or place that asked again): a calendar REPLY to an older SEQUENCE answers outdated details.
    answer_sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Message-ID of the first invitation email: updates, reminders and the cancellation thread under it.
    thread_message_id: Mapped[str | None] = mapped_column(String(300), default=None)

    event: Mapped[Event] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")


class ReminderSent(Base):
    """At most one reminder per invitation, offset and event start (a moved event gets new ones)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("invitation_id", "offset_minutes", "event_starts_at"),)

    invitation_id: Mapped[UUID] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    event_starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class RsvpLink(Base):
    """A personal RSVP link sent in one email; the token itself is never stored, only its digest."""

    __tablename__ = "rsvp_link"

    invitation_id: Mapped[UUID] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
