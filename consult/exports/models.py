"""Export jobs (a consolidated-feedback file written by a worker)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consult.claims import Leased
from consult.db import Base, str_enum
from consult.directory.models import Language


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    DOCX = "docx"
    JSON = "json"
    ANNOTATED_DOCX = "annotated_docx"  # the draft with the comments in the margin (consult.word)


class CsvDelimiter(enum.StrEnum):
    """What separates a CSV export's values: Excel splits on the list separator of the reader's
    locale, which is ``;`` where the decimal mark is a comma (az, ru, fr)."""

    COMMA = "comma"
    SEMICOLON = "semicolon"

    @property
    def char(self) -> str:
        return ";" if self is CsvDelimiter.SEMICOLON else ","


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
    # The file's language (None: the draft's) and, for CSV, its delimiter.
    language: Mapped[Language | None] = mapped_column(str_enum(Language, 2), default=None)
    delimiter: Mapped[CsvDelimiter] = mapped_column(str_enum(CsvDelimiter, 9), default=CsvDelimiter.COMMA)
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
