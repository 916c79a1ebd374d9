"""Participation figures for reports to funders: who was invited to each event, who accepted,
declined and attended (by kind of organisation and by organisation), how many comments each round
received, and the same as an XLSX workbook.

Attendance is recorded at check-in, from the online meeting's report, or by hand (consult.attendance).
People without an organisation are counted under "individuals". Withdrawn invitations are not
counted as invited; hidden and withdrawn comments are not counted.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import anyio
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from consult.attendance.models import EventAttendance
from consult.auth.principals import Principal
from consult.directory.models import Organisation, Person
from consult.drafts.models import Document, DocumentVersion
from consult.errors import NotFound
from consult.events.models import Consultation, Event
from consult.exports import labels as L
from consult.exports import schemas
from consult.exports.cells import spreadsheet_cell
from consult.exports.labels import Labels
from consult.exports.matrix import consultation_zone, label
from consult.exports.xlsx import DATE_TIME, PERCENT, PERCENT_1, add_bar_chart, set_up_printing, sheet_title
from consult.filenames import safe_file_name
from consult.invitations.models import Invitation, Rsvp
from consult.rounds.models import Comment, CommentRound, RoundInvitee
from consult.rounds.visibility import comment_table, person_table, published, speaks_for

INDIVIDUALS = "individuals"


@dataclass
class _Tally:
    label: str
    figures: schemas.Figures = field(default_factory=schemas.Figures)


@dataclass(frozen=True)
class _Attended:
    checked_in: bool  # at the door, with their code
    minutes: int | None  # in the online meeting, from its report


def _add(figures: schemas.Figures, rsvp: Rsvp | None, attended: _Attended | None) -> None:
    if rsvp is not None:
        figures.invited += 1
        if rsvp is Rsvp.ACCEPTED:
            figures.accepted += 1
        elif rsvp is Rsvp.DECLINED:
            figures.declined += 1
        elif rsvp is Rsvp.TENTATIVE:
            figures.tentative += 1
        else:
            figures.no_answer += 1
    if attended:
        figures.attended += 1
        if rsvp is None:
            figures.attended_uninvited += 1
        figures.checked_in += attended.checked_in
        if attended.minutes is not None:
            figures.online += 1
            figures.online_minutes += attended.minutes


def _groups(tallies: dict[str | None, _Tally]) -> list[schemas.Group]:
    ordered = sorted(
        tallies.items(), key=lambda item: (item[0] is None, -item[1].figures.invited, item[1].label)
    )
    return [schemas.Group(key=key, label=t.label, figures=t.figures) for key, t in ordered]


def _count_groups(counts: Counter[str | None], labels: dict[str | None, str]) -> list[schemas.CountGroup]:
    ordered = sorted(counts.items(), key=lambda item: (item[0] is None, -item[1], labels[item[0]]))
    return [schemas.CountGroup(key=key, label=labels[key], count=n) for key, n in ordered]


class StatsService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def _event(self, event_id: UUID) -> Event:
        event = await self.session.get(Event, event_id)
        if event is None:
            raise NotFound(f"event {event_id} does not exist")
        return event

    # --- events --------------------------------------------------------------------------------

    async def event_stats(self, event_id: UUID) -> schemas.EventStats:
        return (await self._events_stats([await self._event(event_id)]))[0]

    async def _events_stats(self, events: list[Event]) -> list[schemas.EventStats]:
        """Figures per event; also remembers who attended (for the consultation's headline)."""
        ids = [e.id for e in events]
        rows = (
            await self.session.execute(
                select(Invitation.event_id, Invitation.person_id, Invitation.rsvp).where(
                    Invitation.event_id.in_(ids), Invitation.withdrawn_at.is_(None)
                )
            )
        ).all()
        attended = (
            await self.session.execute(
                select(
                    EventAttendance.event_id,
                    EventAttendance.person_id,
                    EventAttendance.checked_in_at.is_not(None),
                    EventAttendance.minutes,
                ).where(EventAttendance.event_id.in_(ids))
            )
        ).all()
        people: dict[UUID, dict[UUID, Rsvp | None]] = {e: {} for e in ids}
        for event_id, person_id, answer in rows:
            people[event_id][person_id] = answer
        present: dict[tuple[UUID, UUID], _Attended] = {}
        for event_id, person_id, checked_in, minutes in attended:
            present[(event_id, person_id)] = _Attended(checked_in, minutes)
            people[event_id].setdefault(person_id, None)
        self.attended_people = {person_id for _, person_id in present}
        organisations = await self._organisations({p for group in people.values() for p in group})
        self.organisation_of = organisations
        stats = []
        for event in events:
            totals = schemas.Figures()
            by_kind: dict[str | None, _Tally] = {}
            by_org: dict[str | None, _Tally] = {}
            for person_id, rsvp in people[event.id].items():
                was_there = present.get((event.id, person_id))
                org = organisations.get(person_id)
                kind_key = org.kind.value if org else None
                org_key = str(org.id) if org else None
                _add(totals, rsvp, was_there)
                _add(
                    by_kind.setdefault(kind_key, _Tally(label(kind_key) or INDIVIDUALS)).figures,
                    rsvp,
                    was_there,
                )
                _add(
                    by_org.setdefault(org_key, _Tally(org.name if org else INDIVIDUALS)).figures,
                    rsvp,
                    was_there,
                )
            stats.append(
                schemas.EventStats(
                    event_id=event.id,
                    title=event.title,
                    starts_at=event.starts_at,
                    status=event.status.value,
                    totals=totals,
                    by_organisation_kind=_groups(by_kind),
                    by_organisation=_groups(by_org),
                )
            )
        return stats

    async def _organisations(self, person_ids: set[UUID]) -> dict[UUID, Organisation]:
        if not person_ids:
            return {}
        rows = await self.session.execute(
            select(Person.id, Organisation)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(Person.id.in_(person_ids))
        )
        return {person_id: org for person_id, org in rows.all()}

    # --- consultations -------------------------------------------------------------------------

    async def consultation_stats(self, consultation_id: UUID) -> schemas.ConsultationStats:
        consultation = await self.session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound(f"consultation {consultation_id} does not exist")
        events = list(
            (
                await self.session.scalars(
                    select(Event).where(Event.consultation_id == consultation.id).order_by(Event.starts_at)
                )
            ).all()
        )
        event_stats = await self._events_stats(events)
        participants = self.attended_people
        orgs = {
            self.organisation_of[p].id: self.organisation_of[p]
            for p in participants
            if p in self.organisation_of
        }
        kinds: Counter[str | None] = Counter()
        labels: dict[str | None, str] = {None: INDIVIDUALS}
        for person_id in participants:
            org = self.organisation_of.get(person_id)
            key = org.kind.value if org else None
            kinds[key] += 1
            labels[key] = label(key) or INDIVIDUALS
        rounds = await self._round_stats(consultation.id)
        commenting = await self._commenting_organisations([r.round_id for r in rounds])
        return schemas.ConsultationStats(
            consultation_id=consultation.id,
            title=consultation.title,
            headline=schemas.Headline(
                participants=len(participants),
                organisations=len(orgs),
                by_organisation_kind=_count_groups(kinds, labels),
                comments=sum(r.comments for r in rounds),
                commenting_organisations=commenting,
            ),
            events=event_stats,
            rounds=rounds,
        )

    async def _round_stats(self, consultation_id: UUID) -> list[schemas.RoundStats]:
        rounds = (
            await self.session.execute(
                select(CommentRound, Document.title, DocumentVersion.number)
                .join(DocumentVersion, DocumentVersion.id == CommentRound.document_version_id)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(Document.consultation_id == consultation_id)
                .order_by(CommentRound.opens_at, CommentRound.id)
            )
        ).all()
        author = person_table.alias("author")
        organisation = speaks_for(comment_table, author)
        result = []
        for round_, document_title, version in rounds:
            comments = (
                await self.session.execute(
                    select(Comment.author_id, Comment.parent_id, organisation, Organisation.kind)
                    .join(author, author.c.id == Comment.author_id)
                    .outerjoin(Organisation, Organisation.id == organisation)
                    .where(Comment.round_id == round_.id, published(comment_table))
                )
            ).all()
            invitee = aliased(Person)
            invited = set(
                (
                    await self.session.scalars(
                        select(func.coalesce(RoundInvitee.invited_organisation_id, invitee.organisation_id))
                        .join(invitee, invitee.id == RoundInvitee.person_id)
                        .where(RoundInvitee.round_id == round_.id)
                    )
                ).all()
            ) - {None}
            commented = {org for _, _, org, _ in comments if org is not None}
            kinds: Counter[str | None] = Counter(kind.value if kind else None for *_, kind in comments)
            labels = {k: label(k) or INDIVIDUALS for k in kinds}
            result.append(
                schemas.RoundStats(
                    round_id=round_.id,
                    title=round_.title,
                    document_title=document_title,
                    version_number=version,
                    opens_at=round_.opens_at,
                    closes_at=round_.closes_at,
                    comments=len(comments),
                    threads=sum(1 for _, parent, _, _ in comments if parent is None),
                    replies=sum(1 for _, parent, _, _ in comments if parent is not None),
                    authors=len({a for a, *_ in comments}),
                    organisations=len(commented),
                    invited_organisations=len(invited),
                    organisations_that_commented=len(invited & commented),
                    by_organisation_kind=_count_groups(kinds, labels),
                )
            )
        return result

    async def _commenting_organisations(self, round_ids: list[UUID]) -> int:
        if not round_ids:
            return 0
        author = person_table.alias("author")
        found = await self.session.scalar(
            select(func.count(func.distinct(speaks_for(comment_table, author))))
            .join(author, author.c.id == Comment.author_id)
            .where(Comment.round_id.in_(round_ids), published(comment_table))
        )
        return int(found or 0)


# --- the workbook --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsFile:
    content: bytes
    filename: str


async def consultation_workbook(
    session: AsyncSession, principal: Principal, consultation_id: UUID, language: str | None, zone: str
) -> StatsFile:
    """The statistics as a workbook in ``language`` (default: the consultation's first draft's), its
    times in the consultation's zone (its first event's; else ``zone``)."""
    stats = await StatsService(session, principal).consultation_stats(consultation_id)
    draft_language = await session.scalar(
        select(Document.language)
        .where(Document.consultation_id == consultation_id)
        .order_by(Document.created_at, Document.id)
        .limit(1)
    )
    own_zone = await session.run_sync(lambda sync: consultation_zone(sync, consultation_id))
    labels = Labels.of(language or (draft_language.value if draft_language else None), own_zone or zone)
    day = labels.local(dt.datetime.now(dt.UTC)).date().isoformat()
    name = safe_file_name(labels.t(L.PARTICIPATION_FILE_NAME, title=stats.title, date=day), "xlsx")
    return StatsFile(await anyio.to_thread.run_sync(stats_workbook, stats, labels), name)


def _figures(f: schemas.Figures) -> list[int]:
    return [
        *(f.invited, f.accepted, f.declined, f.tentative, f.no_answer, f.attended, f.attended_uninvited),
        *(f.checked_in, f.online, f.online_minutes),
    ]


def stats_workbook(stats: schemas.ConsultationStats, labels: Labels | None = None) -> bytes:
    """Sheets: Summary (the headline, with a chart of participants by kind of organisation), Events
    (per event, kind and organisation), Rounds; every sheet set up to print on landscape A4."""
    labels = labels or Labels.of(None, "UTC")
    t = labels.t
    workbook = Workbook()
    bold = Font(bold=True)

    def header(sheet: Any, values: list[str]) -> None:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    summary = workbook.active
    assert summary is not None
    summary.title = sheet_title(t(L.SUMMARY))
    summary.append([spreadsheet_cell(stats.title)])
    summary["A1"].font = Font(bold=True, size=14)
    h = stats.headline
    summary.append([t(L.PARTICIPANTS), h.participants])
    summary.append([t(L.THEIR_ORGANISATIONS), h.organisations])
    summary.append([t(L.COMMENTS_RECEIVED), h.comments])
    summary.append([t(L.ORGANISATIONS_THAT_COMMENTED), h.commenting_organisations])
    summary.append([])
    header(summary, [t(L.PARTICIPANTS_BY_KIND), t(L.PEOPLE), t(L.SHARE)])
    first = summary.max_row + 1
    for group in h.by_organisation_kind:
        summary.append(
            [
                labels.organisation_kind(group.key),
                group.count,
                group.count / h.participants if h.participants else 0,
            ]
        )
        summary.cell(summary.max_row, 3).number_format = PERCENT_1
    last = summary.max_row
    summary.column_dimensions["A"].width = 45
    summary.column_dimensions["C"].width = 10
    set_up_printing(summary)
    if last >= first:
        add_bar_chart(
            summary,
            title=t(L.PARTICIPANTS_BY_KIND),
            categories=(1, first, last),
            values=(2, first - 1, last),
            anchor="E2",
        )

    events = workbook.create_sheet(sheet_title(t(L.EVENTS)))
    figure_headers = [t(text) for text in L.FIGURE_HEADERS]
    header(
        events,
        [
            t(L.EVENT),
            t(L.STARTS, zone=labels.zone_name),
            t(L.GROUP),
            t(L.KIND_OR_ORGANISATION),
            *figure_headers,
        ],
    )
    for event in stats.events:
        start = labels.local(event.starts_at)
        title = spreadsheet_cell(event.title)
        events.append([title, start, t(L.GROUP_TOTAL), "", *_figures(event.totals)])
        for by_kind in event.by_organisation_kind:
            events.append(
                [
                    title,
                    start,
                    t(L.GROUP_KIND),
                    labels.organisation_kind(by_kind.key),
                    *_figures(by_kind.figures),
                ]
            )
        for by_org in event.by_organisation:
            name = spreadsheet_cell(by_org.label) if by_org.key else t(L.INDIVIDUALS)
            events.append([title, start, t(L.GROUP_ORGANISATION), name, *_figures(by_org.figures)])
    for (cell,) in events.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.number_format = DATE_TIME
    events.freeze_panes = "A2"
    events.auto_filter.ref = events.dimensions
    for column, width in zip("ABCD", (40, 17, 16, 40), strict=True):
        events.column_dimensions[column].width = width
    set_up_printing(events, title_rows="1:1")

    rounds = workbook.create_sheet(sheet_title(t(L.ROUNDS)))
    header(
        rounds,
        [
            t(L.ROUND),
            t(L.DRAFT),
            t(L.COMMENTS),
            t(L.THREADS),
            t(L.REPLIES),
            t(L.AUTHORS),
            t(L.ORGANISATIONS),
            t(L.INVITED_ORGANISATIONS),
            t(L.INVITED_THAT_COMMENTED),
            t(L.RESPONSE_RATE),
        ],
    )
    for r in stats.rounds:
        rounds.append(
            [
                spreadsheet_cell(r.title),
                spreadsheet_cell(t(L.DRAFT_VERSION, title=r.document_title, number=r.version_number)),
                r.comments,
                r.threads,
                r.replies,
                r.authors,
                r.organisations,
                r.invited_organisations,
                r.organisations_that_commented,
                r.organisations_that_commented / r.invited_organisations if r.invited_organisations else None,
            ]
        )
        rounds.cell(rounds.max_row, 10).number_format = PERCENT
    rounds.freeze_panes = "A2"
    rounds.column_dimensions["A"].width = 40
    rounds.column_dimensions["B"].width = 40
    set_up_printing(rounds, title_rows="1:1")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
