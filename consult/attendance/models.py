"""Who was at an event: checked in at the door, read from the online meeting's report, or recorded
by hand (invitees and walk-ins alike). One row per event and person, whatever recorded it first."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum
from consult.directory.models import Person


class AttendanceSource(enum.StrEnum):
    CHECKED_IN = "checked_in"  # their check-in code was scanned or typed at the door
    IMPORTED = "imported"  # found in the online meeting's participant report
    RECORDED = "recorded"  # added by hand by the organisers (a walk-in, or a forgotten code)


class EventAttendance(Base):
    """The unique (event, person) pair is what makes two desks scanning the same code at once
    record one attendance: both insert, the database keeps one."""

    __tablename__ = "event_attendance"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    # None: a walk-in (not invited, or their invitation was withdrawn).
    invitation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[AttendanceSource] = mapped_column(str_enum(AttendanceSource, 16))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Minutes in the online meeting (rejoins summed, overlaps counted once), from the latest report.
    minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), default=None
    )

    person: Mapped[Person] = relationship(lazy="raise")
