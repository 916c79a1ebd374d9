"""Participation figures for reports to funders: who was invited to each event, who accepted,
declined and attended (by kind of organisation and by organisation), how many comments each round
received, and the same as an XLSX workbook.

Attendance is recorded at check-in, from the online meeting's report, or by hand (consult.attendance).
People without an organisation are counted under "individuals". Withdrawn invitations are not
counted as invited; hidden and withdrawn comments are not counted.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from consult.attendance.models import EventAttendance
from consult.auth.principals import Principal
from consult.directory.models import Organisation, Person
from consult.drafts.models import Document, DocumentVersion
from consult.errors import NotFound
from consult.events.models import Consultation, Event
from consult.exports import schemas
from consult.exports.cells import spreadsheet_cell
from consult.exports.matrix import label
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

_FIGURE_HEADERS = [
    "Invited",
    "Accepted",
    "Declined",
    "Tentative",
    "No answer",
    "Attended",
    "of whom not invited",
    "checked in at the door",
    "in the online meeting",
    "Minutes online (all)",
]


def _figures(f: schemas.Figures) -> list[int]:
    return [
        *(f.invited, f.accepted, f.declined, f.tentative, f.no_answer, f.attended, f.attended_uninvited),
        *(f.checked_in, f.online, f.online_minutes),
    ]


def stats_workbook(stats: schemas.ConsultationStats) -> bytes:
    """Sheets: Summary (the headline), Events (per event, kind and organisation), Rounds."""
    workbook = Workbook()
    bold = Font(bold=True)

    def header(sheet: object, values: list[str]) -> None:
        sheet.append(values)  # type: ignore[attr-defined]
        for cell in sheet[sheet.max_row]:  # type: ignore[attr-defined, index]
            cell.font = bold

    summary = workbook.active
    assert summary is not None
    summary.title = "Summary"
    summary.append([spreadsheet_cell(stats.title)])
    summary["A1"].font = Font(bold=True, size=14)
    h = stats.headline
    summary.append(["Participants (attended at least one event)", h.participants])
    summary.append(["Their organisations", h.organisations])
    summary.append(["Comments received", h.comments])
    summary.append(["Organisations that commented", h.commenting_organisations])
    summary.append([])
    header(summary, ["Participants by kind of organisation", "People"])
    for group in h.by_organisation_kind:
        summary.append([group.label, group.count])
    summary.column_dimensions["A"].width = 45

    events = workbook.create_sheet("Events")
    header(
        events, ["Event", "Starts (UTC)", "Group", "Kind of organisation / organisation", *_FIGURE_HEADERS]
    )
    for event in stats.events:
        start = event.starts_at.strftime("%Y-%m-%d %H:%M")
        title = spreadsheet_cell(event.title)
        events.append([title, start, "total", "", *_figures(event.totals)])
        for by_kind in event.by_organisation_kind:
            events.append([title, start, "kind", by_kind.label, *_figures(by_kind.figures)])
        for by_org in event.by_organisation:
            events.append(
                [title, start, "organisation", spreadsheet_cell(by_org.label), *_figures(by_org.figures)]
            )
    events.freeze_panes = "A2"
    events.auto_filter.ref = events.dimensions
    for column, width in zip("ABCD", (40, 17, 13, 40), strict=True):
        events.column_dimensions[column].width = width

    rounds = workbook.create_sheet("Rounds")
    header(
        rounds,
        [
            "Round",
            "Draft",
            "Comments",
            "Threads",
            "Replies",
            "Authors",
            "Organisations",
            "Invited organisations",
            "Invited organisations that commented",
        ],
    )
    for r in stats.rounds:
        rounds.append(
            [
                spreadsheet_cell(r.title),
                spreadsheet_cell(f"{r.document_title} (version {r.version_number})"),
                r.comments,
                r.threads,
                r.replies,
                r.authors,
                r.organisations,
                r.invited_organisations,
                r.organisations_that_commented,
            ]
        )
    rounds.freeze_panes = "A2"
    rounds.column_dimensions["A"].width = 40
    rounds.column_dimensions["B"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
