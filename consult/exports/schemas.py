from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from msgspec import Struct

from consult.crud import ModelOut
from consult.directory.models import Language, OrganisationKind
from consult.drafts.schemas import SectionKey
from consult.exports.models import CsvDelimiter, ExportFormat, ExportState
from consult.rounds.models import CommentKind, Decision
from consult.types import AwareTime


class ExportRequest(Struct, forbid_unknown_fields=True):
    """An export job: the format, the comment list's filters (``from``/``to`` on when comments
    were written), the language of the file's labels (``lang``; default: the draft's) and, for CSV,
    the ``delimiter``."""

    format: ExportFormat = ExportFormat.XLSX
    lang: Language | None = None
    delimiter: CsvDelimiter = CsvDelimiter.COMMA
    section_key: SectionKey | None = None
    organisation_id: UUID | None = None
    organisation_kind: OrganisationKind | None = None
    kind: CommentKind | None = None
    decision: Decision | None = None
    created_from: AwareTime | None = msgspec.field(default=None, name="from")
    created_to: AwareTime | None = msgspec.field(default=None, name="to")


class ExportJobOut(ModelOut):
    id: UUID
    round_id: UUID
    format: ExportFormat
    filters: dict[str, Any]
    language: Language | None
    delimiter: CsvDelimiter
    state: ExportState
    progress: float
    error: str | None
    row_count: int | None
    requested_by_id: UUID | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    download_url: str | None


class Figures(Struct):
    invited: int = 0
    accepted: int = 0
    declined: int = 0
    tentative: int = 0
    no_answer: int = 0
    attended: int = 0
    attended_uninvited: int = 0  # walk-ins, among ``attended``
    checked_in: int = 0  # among ``attended``: checked in at the door with their code
    online: int = 0  # among ``attended``: found in the online meeting's report
    online_minutes: int = 0  # their minutes in the meeting, added up


class Group(Struct):
    key: str | None  # organisation kind, or organisation id; None: individuals
    label: str
    figures: Figures


class EventStats(Struct):
    event_id: UUID
    title: str
    starts_at: dt.datetime
    status: str
    totals: Figures
    by_organisation_kind: list[Group]
    by_organisation: list[Group]


class CountGroup(Struct):
    key: str | None
    label: str
    count: int


class RoundStats(Struct):
    round_id: UUID
    title: str
    document_title: str
    version_number: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    comments: int  # hidden and withdrawn comments left out
    threads: int
    replies: int
    authors: int
    organisations: int
    invited_organisations: int
    organisations_that_commented: int
    by_organisation_kind: list[CountGroup]  # comments per kind


class Headline(Struct):
    """The figures for reports: "more than 40 participants from 14 organisations"."""

    participants: int  # distinct people who attended any event
    organisations: int  # their distinct organisations
    by_organisation_kind: list[CountGroup]  # participants per kind
    comments: int
    commenting_organisations: int


class ConsultationStats(Struct):
    consultation_id: UUID
    title: str
    headline: Headline
    events: list[EventStats]
    rounds: list[RoundStats]
