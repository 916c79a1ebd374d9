"""The comment-response matrix of a round: one builder of the rows, shared by every export format.

Rows come in draft order (comments on the whole draft first, then section by section), each thread
whole and depth-first: a top-level comment numbered ``12``, its replies ``12.1``, ``12.2``, a reply
to a reply ``12.1.1``. Hidden and withdrawn comments never appear, nor do replies under them.
Authors are shown as they chose: ``named`` (name and organisation), ``organisation`` (organisation
only) or ``anonymous`` (neither).

Rows and summary hold codes (``amendment``, ``not_accepted``, ``public_agency``, ``email``): the JSON
export gives them as they are, the files for people show ``consult.exports.labels`` in the export's
language (``Matrix.labels``: the language asked for, else the draft's; the consultation's time zone).

The rows are read with a server-side cursor in chunks (``yield_per``) and only one thread is held
in memory at a time, so a round of any size streams through in constant memory. The summary figures
are gathered while the rows go by; read them after the rows have been consumed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.orm import Session, aliased

from consult.directory.models import Organisation, OrganisationKind, Person
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.errors import Invalid, NotFound
from consult.events.models import Event
from consult.events.timing import in_zone
from consult.exports import labels as L
from consult.exports.labels import Labels
from consult.rounds.models import Comment, CommentKind, CommentRound, Decision, RoundInvitee
from consult.rounds.visibility import (
    Audience,
    CommentFilters,
    FilterShape,
    ShownAuthor,
    comment_table,
    filter_params,
    person_table,
    public_author,
    published,
    speaks_for,
    thread_matches,
)

CHUNK_ROWS = 2000


@dataclass(frozen=True)
class ExportFilters(CommentFilters):
    """The comment list's filters (with the date range), as an export job stores them.

    Like the comment list, they select threads: a thread is exported whole when any of its exported
    comments matches (``consult.rounds.visibility.thread_matches`` for what is published).
    """

    def to_json(self) -> dict[str, str]:
        """The filters given: the unset ones (None, or a flag left off) are not stored."""
        return {name: _plain(value) for name, value in asdict(self).items() if value not in (None, False)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportFilters:
        def get(name: str) -> Any:
            return data.get(name)

        def when(name: str) -> dt.datetime | None:
            raw = get(name)
            return dt.datetime.fromisoformat(raw) if raw else None

        return cls(
            section_key=get("section_key"),
            organisation_id=UUID(get("organisation_id")) if get("organisation_id") else None,
            organisation_kind=OrganisationKind(get("organisation_kind"))
            if get("organisation_kind")
            else None,
            kind=CommentKind(get("kind")) if get("kind") else None,
            decision=Decision(get("decision")) if get("decision") else None,
            created_from=when("created_from"),
            created_to=when("created_to"),
        )

    def check(self) -> None:
        if self.created_from and self.created_to and self.created_to < self.created_from:
            raise Invalid.field("to", "must not be before from")


def _plain(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def label(value: str | None) -> str | None:
    """An enum value as people read it: "partially_accepted" -> "partially accepted"."""
    return value.replace("_", " ") if value else None


@dataclass(frozen=True)
class ExportOptions:
    """How the file is written, apart from which comments it holds."""

    language: str | None = None  # az, ru, en, fr; None: the draft's language
    delimiter: str = ","  # CSV only: "," or ";" (Excel where the list separator is ";")
    zone: str = "UTC"  # dates, when the consultation has no events to take a zone from


@dataclass(frozen=True)
class Column:
    key: str  # a MatrixRow field
    header: str  # English, translated by ``Labels``
    width: float  # in characters, for spreadsheets
    wrap: bool = False
    enum: str | None = None  # the values are codes of this ``labels.ENUM_LABELS`` group

    def title(self, labels: Labels) -> str:
        if self.key == "created_at":
            return labels.t(self.header, zone=labels.zone_name)
        return labels.t(self.header)


@dataclass
class MatrixRow:
    number: str  # "12", "12.1", "12.1.1"
    reply_to: str | None  # the number of the comment answered
    level: int  # 0 for a top-level comment
    section_key: str | None
    section_number: str | None
    section_heading: str | None
    quote: str | None
    organisation: str | None
    organisation_kind: str | None  # the codes of OrganisationKind, Attribution, CommentKind, ...
    author: str | None
    attribution: str
    kind: str
    source: str
    text: str
    proposed_text: str | None
    created_at: dt.datetime
    decision: str | None  # a Decision code
    rationale: str | None
    taken_up: str | None
    comment_id: UUID
    parent_id: UUID | None
    # For a point of an event's minutes: the event's day where it took place ("round table, 8 April").
    source_day: dt.date | None = None


COLUMNS: tuple[Column, ...] = (
    Column("number", L.H_NUMBER, 8),
    Column("reply_to", L.H_REPLY_TO, 9),
    Column("section_number", L.H_SECTION, 10),
    Column("section_heading", L.H_HEADING, 30, wrap=True),
    Column("quote", L.H_QUOTE, 36, wrap=True),
    Column("organisation", L.H_ORGANISATION, 28, wrap=True),
    Column("organisation_kind", L.H_ORGANISATION_KIND, 18, wrap=True, enum="organisation_kind"),
    Column("author", L.H_AUTHOR, 22, wrap=True),
    Column("attribution", L.H_ATTRIBUTION, 14, enum="attribution"),
    Column("kind", L.H_KIND, 13, enum="kind"),
    Column("source", L.H_SOURCE, 12, enum="source"),
    Column("text", L.H_TEXT, 60, wrap=True),
    Column("proposed_text", L.H_PROPOSED, 45, wrap=True),
    Column("created_at", L.H_WRITTEN, 17),
    Column("decision", L.H_DECISION, 18, enum="decision"),
    Column("rationale", L.H_RATIONALE, 50, wrap=True),
    Column("taken_up", L.H_TAKEN_UP, 30, wrap=True),
)


def cell_values(row: MatrixRow, labels: Labels) -> list[Any]:
    """The row's values in ``COLUMNS`` order, for people: codes as labels, the time as a wall-clock
    ``datetime`` in the export's zone (no offset: spreadsheet cells have none; the header names it)."""
    values: list[Any] = []
    for column in COLUMNS:
        value = getattr(row, column.key)
        if isinstance(value, dt.datetime):
            value = labels.local(value)
        elif column.key == "source":
            value = labels.source(row.source, row.source_day)
        elif column.enum is not None:
            value = labels.enum(column.enum, value)
        values.append(value)
    return values


def json_row(row: MatrixRow) -> dict[str, Any]:
    data = asdict(row)
    data["created_at"] = row.created_at.astimezone(dt.UTC).isoformat()
    data["comment_id"] = str(row.comment_id)
    data["parent_id"] = str(row.parent_id) if row.parent_id else None
    data["source_day"] = row.source_day.isoformat() if row.source_day else None
    return data


@dataclass(frozen=True)
class SectionInfo:
    key: str
    number: str
    heading: str
    level: int
    body: str = ""  # the section's text (the annotated draft shows it)


@dataclass(frozen=True)
class RoundInfo:
    round_id: UUID
    title: str
    document_title: str
    version_number: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    sections: list[SectionInfo]  # the draft's headings, in draft order
    language: str  # the draft's
    zone: str | None  # the consultation's: that of its first event, if it has events
    preamble: str = ""


@dataclass
class Summary:
    """Figures about the exported rows, and the round's response rate (whatever the filters)."""

    comments: int = 0
    threads: int = 0
    replies: int = 0
    by_section: Counter[str | None] = field(default_factory=Counter)  # by section key
    by_organisation_kind: Counter[str | None] = field(default_factory=Counter)
    by_decision: Counter[str | None] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    invited_organisations: list[str] = field(default_factory=list)
    commented_organisations: list[str] = field(default_factory=list)

    def add(self, row: MatrixRow) -> None:
        self.comments += 1
        if row.level == 0:
            self.threads += 1
        else:
            self.replies += 1
        self.by_section[row.section_key] += 1
        self.by_organisation_kind[row.organisation_kind] += 1
        self.by_decision[row.decision] += 1
        self.by_source[row.source] += 1

    @property
    def silent_organisations(self) -> list[str]:
        commented = set(self.commented_organisations)
        return [name for name in self.invited_organisations if name not in commented]

    @property
    def response_rate(self) -> float | None:
        if not self.invited_organisations:
            return None
        invited = set(self.invited_organisations)
        return len(invited & set(self.commented_organisations)) / len(invited)

    def section_lines(self, info: RoundInfo) -> list[tuple[str, str | None, int]]:
        """(number, heading, count) in draft order; comments on the whole draft (heading None) first."""
        lines: list[tuple[str, str | None, int]] = []
        if self.by_section.get(None):
            lines.append(("", None, self.by_section[None]))
        lines.extend(
            (s.number, s.heading, self.by_section[s.key]) for s in info.sections if self.by_section.get(s.key)
        )
        return lines

    def kind_lines(self) -> list[tuple[str | None, int]]:
        """(organisation kind code, count), most first; None: people without an organisation shown."""
        return sorted(self.by_organisation_kind.items(), key=_by_count)

    def decision_lines(self) -> list[tuple[str | None, int]]:
        """(decision code, count) in the order of ``Decision``; None (not answered yet) last."""
        order = [d.value for d in Decision] + [None]
        return [(d, self.by_decision[d]) for d in order if self.by_decision.get(d)]

    def source_lines(self) -> list[tuple[str, int]]:
        return sorted(self.by_source.items(), key=_by_count)

    def to_json(self, info: RoundInfo) -> dict[str, Any]:
        """Codes, not labels (``none`` for no organisation kind, ``unanswered`` for no decision)."""
        return {
            "comments": self.comments,
            "threads": self.threads,
            "replies": self.replies,
            "by_section": [
                {"number": n or None, "heading": h, "comments": c} for n, h, c in self.section_lines(info)
            ],
            "by_organisation_kind": {k or "none": n for k, n in self.kind_lines()},
            "by_decision": {d or "unanswered": n for d, n in self.decision_lines()},
            "by_source": dict(self.source_lines()),
            "invited_organisations": len(self.invited_organisations),
            "organisations_that_commented": sorted(
                set(self.invited_organisations) & set(self.commented_organisations)
            ),
            "organisations_that_did_not_comment": self.silent_organisations,
            "response_rate": self.response_rate,
        }


def _by_count(item: tuple[str | None, int]) -> tuple[int, str]:
    return (-item[1], item[0] or "~")  # None last among equals


_ROW_COLUMNS = (
    Comment.id,
    Comment.thread_id,
    Comment.parent_id,
    Comment.section_key,
    Comment.kind,
    Comment.body,
    Comment.quote,
    Comment.proposed_text,
    Comment.attribution,
    Comment.created_at,
    Comment.decision,
    Comment.rationale,
    Comment.taken_up_version_id,
    Comment.taken_up_section_key,
    # The source and, for a point of an event's minutes, the event (issue 14).
    Comment.source,
    Event.starts_at.label("event_starts_at"),
    Event.timezone.label("event_timezone"),
)


class Matrix:
    """The rows of one round's export, for one set of filters, on a synchronous session."""

    def __init__(
        self,
        session: Session,
        round_id: UUID,
        filters: ExportFilters,
        options: ExportOptions | None = None,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self.session = session
        self.filters = filters
        self.chunk_rows = chunk_rows
        round_ = session.get(CommentRound, round_id)
        if round_ is None:
            raise NotFound(f"comment round {round_id} does not exist")
        self.round = round_
        self.info = self._info()
        options = options or ExportOptions()
        self.options = ExportOptions(
            language=options.language or self.info.language,
            delimiter=options.delimiter,
            zone=self.info.zone or options.zone,
        )
        self.labels = Labels.of(self.options.language, self.options.zone)
        self.summary = Summary()
        self._sections = {s.key: s for s in self.info.sections}
        self._positions = {s.key: i for i, s in enumerate(self.info.sections)}
        self._taken_up = self._taken_up_labels()
        self._response_rate()

    # --- what is read before the rows ----------------------------------------------------------

    def _info(self) -> RoundInfo:
        version, document_title, language, consultation_id = self.session.execute(
            select(DocumentVersion, Document.title, Document.language, Document.consultation_id)
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(DocumentVersion.id == self.round.document_version_id)
        ).one()
        sections = self.session.execute(
            select(
                DocumentSection.key,
                DocumentSection.number,
                DocumentSection.heading,
                DocumentSection.level,
                DocumentSection.body,
            )
            .where(DocumentSection.version_id == version.id)
            .order_by(DocumentSection.position)
        ).all()
        return RoundInfo(
            round_id=self.round.id,
            title=self.round.title,
            document_title=document_title,
            version_number=version.number,
            opens_at=self.round.opens_at,
            closes_at=self.round.closes_at,
            sections=[SectionInfo(*section) for section in sections],
            preamble=version.preamble,
            language=language.value,
            zone=consultation_zone(self.session, consultation_id),
        )

    def _taken_up_labels(self) -> dict[tuple[UUID, str], str]:
        """ "version 2, 1.1.3 Heading" for each place an answer says a comment was taken up."""
        pairs = (
            select(Comment.taken_up_version_id, Comment.taken_up_section_key)
            .where(Comment.round_id == self.round.id, Comment.taken_up_version_id.is_not(None))
            .distinct()
            .subquery()
        )
        rows = self.session.execute(
            select(DocumentSection.version_id, DocumentSection.key, DocumentVersion.number)
            .add_columns(DocumentSection.number, DocumentSection.heading)
            .join(DocumentVersion, DocumentVersion.id == DocumentSection.version_id)
            .join(
                pairs,
                and_(
                    pairs.c.taken_up_version_id == DocumentSection.version_id,
                    pairs.c.taken_up_section_key == DocumentSection.key,
                ),
            )
        ).all()
        return {
            (version_id, key): self.labels.t(L.VERSION_SECTION, number=version, section=f"{number} {heading}")
            for version_id, key, version, number, heading in rows
        }

    def _response_rate(self) -> None:
        """Invited organisations (invited as such, or through their people) and those that commented."""
        invitee = aliased(Person)
        invited_ids = (
            select(func.coalesce(RoundInvitee.invited_organisation_id, invitee.organisation_id).label("id"))
            .join(invitee, invitee.id == RoundInvitee.person_id)
            .where(RoundInvitee.round_id == self.round.id)
            .subquery()
        )
        self.summary.invited_organisations = list(
            self.session.scalars(
                select(Organisation.name)
                .where(Organisation.id.in_(select(invited_ids.c.id)))
                .order_by(Organisation.name)
            ).all()
        )
        author = person_table.alias("author")
        commented_ids = (
            select(distinct(speaks_for(comment_table, author)))
            .join(author, author.c.id == Comment.author_id)
            .where(Comment.round_id == self.round.id, published(comment_table))
        )
        self.summary.commented_organisations = list(
            self.session.scalars(
                select(Organisation.name)
                .where(Organisation.id.in_(commented_ids))
                .order_by(Organisation.name)
            ).all()
        )

    # --- the rows ------------------------------------------------------------------------------

    def _statement(self) -> Select[*tuple[Any, ...]]:
        """The rows, with the filters as parameters (``filter_params``)."""
        author = person_table.alias("author")
        root = aliased(Comment)
        position = func.coalesce(DocumentSection.position, -1)
        return (
            select(
                *_ROW_COLUMNS,
                author.c.full_name.label("author_name"),
                Organisation.name.label("org_name"),
                Organisation.kind.label("org_kind"),
            )
            .join(root, root.id == Comment.thread_id)
            .join(author, author.c.id == Comment.author_id)
            .outerjoin(Organisation, Organisation.id == speaks_for(comment_table, author))
            .outerjoin(Event, Event.id == Comment.event_id)
            .outerjoin(
                DocumentSection,
                and_(
                    DocumentSection.version_id == self.round.document_version_id,
                    DocumentSection.key == Comment.section_key,
                ),
            )
            .where(
                Comment.round_id == self.round.id,
                published(comment_table),
                thread_matches(
                    comment_table.c.thread_id,
                    comment_table.c.section_key,
                    FilterShape.of(self.filters),
                    Audience.PUBLISHED,
                ),
            )
            .order_by(position, root.created_at, Comment.thread_id, Comment.created_at, Comment.id)
        )

    def count(self) -> int:
        """How many comments the filters select (replies under a hidden or withdrawn comment included)."""
        stmt = self._statement().order_by(None).with_only_columns(func.count(Comment.id))
        return int(self.session.scalar(stmt, filter_params(self.filters)) or 0)

    def rows(self) -> Iterator[MatrixRow]:
        """The rows in draft order, threads depth-first; fills ``summary`` as they go by."""
        result = self.session.execute(
            self._statement().execution_options(yield_per=self.chunk_rows, stream_results=True),
            filter_params(self.filters),
        )
        thread: list[Any] = []
        threads = 0
        try:
            for record in result:
                if thread and record.thread_id != thread[0].thread_id:
                    threads += 1
                    yield from self._thread_rows(thread, threads)
                    thread = []
                thread.append(record)
            if thread:
                threads += 1
                yield from self._thread_rows(thread, threads)
        finally:
            result.close()

    def _thread_rows(self, records: list[Any], number: int) -> Iterator[MatrixRow]:
        children: dict[UUID | None, list[Any]] = {}
        for record in records:  # oldest first
            children.setdefault(record.parent_id, []).append(record)
        root = next((r for r in children.get(None, []) if r.id == r.thread_id), None)
        if root is None:  # the top-level comment is hidden or withdrawn: the thread goes with it
            return
        stack: list[tuple[Any, str, str | None, int]] = [(root, str(number), None, 0)]
        while stack:
            record, label_, parent_label, level = stack.pop()
            row = self._row(record, label_, parent_label, level)
            self.summary.add(row)
            yield row
            replies = children.get(record.id, [])
            for index in range(len(replies), 0, -1):  # pushed in reverse: popped oldest first
                stack.append((replies[index - 1], f"{label_}.{index}", label_, level + 1))

    def _row(self, r: Any, number: str, reply_to: str | None, level: int) -> MatrixRow:
        section = self._sections.get(r.section_key) if r.section_key else None
        shown = public_author(
            r.attribution,
            ShownAuthor(full_name=r.author_name, organisation_name=r.org_name, organisation_kind=r.org_kind),
        )
        return MatrixRow(
            number=number,
            reply_to=reply_to,
            level=level,
            section_key=r.section_key,
            section_number=section.number if section else None,
            section_heading=section.heading if section else None,
            quote=r.quote,
            organisation=shown.organisation_name,
            organisation_kind=shown.organisation_kind.value if shown.organisation_kind else None,
            author=shown.full_name,
            attribution=r.attribution.value,
            kind=r.kind.value,
            source=r.source.value,
            text=r.body,
            proposed_text=r.proposed_text,
            created_at=r.created_at,
            decision=r.decision.value if r.decision else None,
            rationale=r.rationale if r.decision else None,
            taken_up=self._taken_up.get((r.taken_up_version_id, r.taken_up_section_key))
            if r.taken_up_version_id
            else None,
            comment_id=r.id,
            parent_id=r.parent_id,
            source_day=in_zone(r.event_starts_at, r.event_timezone).date() if r.event_starts_at else None,
        )


def consultation_zone(session: Session, consultation_id: UUID | None) -> str | None:
    """The time zone of the consultation's first event (where it is held), if it has events."""
    if consultation_id is None:
        return None
    return session.scalar(
        select(Event.timezone)
        .where(Event.consultation_id == consultation_id)
        .order_by(Event.starts_at, Event.id)
        .limit(1)
    )
