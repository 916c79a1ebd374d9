"""Scheduling polls: candidate times for a future event, the people asked, and their answers."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum
from consult.directory.models import Person
from consult.events.models import EventFormat, EventKind


class PollStatus(enum.StrEnum):
    OPEN = "open"  # answers welcome until closes_at
    DECIDED = "decided"  # a slot was chosen and the event created


class PollAnswerValue(enum.StrEnum):
    YES = "yes"
    IF_NEED_BE = "if_need_be"
    NO = "no"

    @property
    def can_attend(self) -> bool:
        return self is not PollAnswerValue.NO


class SchedulingPoll(Base):
    """A poll for the time of an event; it carries the event's future settings, so that deciding
    creates the event without asking them again."""

    __tablename__ = "scheduling_poll"

    consultation_id: Mapped[UUID] = mapped_column(
        ForeignKey("consultation.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    format: Mapped[EventFormat] = mapped_column(str_enum(EventFormat))
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    online_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    closes_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    status: Mapped[PollStatus] = mapped_column(str_enum(PollStatus), default=PollStatus.OPEN)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Both set by the decision; no foreign key cycle with poll_slot, the slot is checked on decide.
    decided_slot_id: Mapped[UUID | None] = mapped_column(default=None)
    event_id: Mapped[UUID | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), default=None)

    slots: Mapped[list[PollSlot]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="PollSlot.starts_at", lazy="selectin"
    )


class PollSlot(Base):
    __tablename__ = "poll_slot"
    __table_args__ = (UniqueConstraint("poll_id", "starts_at"),)

    poll_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_poll.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))

    poll: Mapped[SchedulingPoll] = relationship(back_populates="slots", lazy="raise")


class PollRequiredOrganisation(Base):
    """An organisation without which the event makes no sense: the tally says which slots lose it."""

    __tablename__ = "poll_required_organisation"
    __table_args__ = (UniqueConstraint("poll_id", "organisation_id"),)

    poll_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_poll.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))


class PollInvitee(Base):
    __tablename__ = "poll_invitee"
    __table_args__ = (UniqueConstraint("poll_id", "person_id"),)

    poll_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_poll.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reminder_queued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Message-ID of the poll's first email: the reminder and the decision thread under it.
    thread_message_id: Mapped[str | None] = mapped_column(String(300), default=None)

    person: Mapped[Person] = relationship(lazy="raise")
    poll: Mapped[SchedulingPoll] = relationship(lazy="raise")


class PollAnswer(Base):
    """One invitee's answer for one slot: the unique pair makes concurrent answers an upsert."""

    __tablename__ = "poll_answer"
    __table_args__ = (UniqueConstraint("invitee_id", "slot_id"),)

    invitee_id: Mapped[UUID] = mapped_column(ForeignKey("poll_invitee.id", ondelete="CASCADE"))
    slot_id: Mapped[UUID] = mapped_column(ForeignKey("poll_slot.id", ondelete="CASCADE"), index=True)
    answer: Mapped[PollAnswerValue] = mapped_column(str_enum(PollAnswerValue, 16))


class PollLink(Base):
    """A personal poll link (``/poll/<token>``) sent in one email; only the digest is stored."""

    __tablename__ = "poll_link"

    invitee_id: Mapped[UUID] = mapped_column(ForeignKey("poll_invitee.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
