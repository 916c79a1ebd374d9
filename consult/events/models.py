from __future__ import annotations

import datetime as dt
import enum
import uuid
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum


class EventKind(enum.StrEnum):
    LAUNCH = "launch"
    ROUND_TABLE = "round_table"
    WORKSHOP = "workshop"
    TRAINING = "training"
    MEETING = "meeting"


class EventFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"

    @property
    def needs_venue(self) -> bool:
        return self in (EventFormat.IN_PERSON, EventFormat.HYBRID)

    @property
    def needs_link(self) -> bool:
        return self in (EventFormat.ONLINE, EventFormat.HYBRID)


class EventStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@consult"


class Consultation(Base):
    __tablename__ = "consultation"

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class Event(Base):
    __tablename__ = "event"

    consultation_id: Mapped[UUID] = mapped_column(
        ForeignKey("consultation.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    format: Mapped[EventFormat] = mapped_column(str_enum(EventFormat))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    online_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus), default=EventStatus.SCHEDULED)
    cancellation_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # iCalendar identity: the UID never changes; SEQUENCE grows with every change invitees must see.
    ical_uid: Mapped[str] = mapped_column(String(200), unique=True, default=new_ical_uid)
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)

    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="AgendaItem.position",
        lazy="selectin",
    )


class AgendaItem(Base):
    __tablename__ = "agenda_item"

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    title: Mapped[str] = mapped_column(String(300))
    speaker: Mapped[str | None] = mapped_column(String(300), default=None)
    # The draft sections the item discusses: the round page notes "discussed at the round table of
    # <date>" on them, and minutes of the event are recorded against them.
    document_version_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("document_version.id", ondelete="RESTRICT"), index=True, default=None
    )
    section_keys: Mapped[list[str]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=list, server_default="[]"
    )

    event: Mapped[Event] = relationship(back_populates="agenda")
