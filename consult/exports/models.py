"""Export jobs (a consolidated-feedback file written by a worker) and event attendance."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consult.claims import Leased
from consult.db import Base, str_enum


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    DOCX = "docx"
    JSON = "json"
    ANNOTATED_DOCX = "annotated_docx"  # the draft with the comments in the margin (consult.word)


class ExportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(Leased, Base):
    """A round's comment-response matrix written to a file by a worker.

    The worker writing it renews its claim (``claimed_at``) with each progress report: the export scan
    re-dispatches a queued job the broker lost, and a running job whose worker is gone or has not
    reported for the lease (``consult.claims``).
    """

    WAITING = ExportState.QUEUED
    WORKING = ExportState.RUNNING

    __tablename__ = "export_job"
    __table_args__ = (Index("ix_export_job_state", "state"),)

    round_id: Mapped[UUID] = mapped_column(ForeignKey("comment_round.id", ondelete="CASCADE"), index=True)
    format: Mapped[ExportFormat] = mapped_column(str_enum(ExportFormat, 16))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), default=dict)
    state: Mapped[ExportState] = mapped_column(str_enum(ExportState, 16), default=ExportState.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    file_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    row_count: Mapped[int | None] = mapped_column(default=None)
    requested_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True, default=None
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class EventAttendance(Base):
    """Someone who was at an event, as the organisers recorded it (invited or a walk-in)."""

    __tablename__ = "event_attendance"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    invitation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), default=None
    )
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), default=None
    )
