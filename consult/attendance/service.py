"""EventAttendance: checking people in at the door, recording them by hand, and reading the online
meeting's participant report. Every write is an upsert on (event, person): two desks scanning one
code at once, or a report imported twice, leave one row per person."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from consult.attendance import schemas
from consult.attendance.models import AttendanceSource, EventAttendance
from consult.attendance.parsing import Report, ReportRow, merged_minutes, read_report
from consult.auth.principals import Principal, StaffPrincipal
from consult.crud import get_or_404, page_of
from consult.directory.models import Person
from consult.errors import Conflict, Invalid
from consult.events.models import Event, EventStatus
from consult.invitations.checkin import carries_code, checkin_code, normalise_code
from consult.invitations.models import Invitation
from consult.invitations.schemas import InvitationAttendance
from consult.pagination import PageParams
from consult.settings import Settings


async def read_upload(content: bytes, *, max_bytes: int) -> Report:
    """``read_report`` in a worker thread: 5,000 rows of a report are CPU the other requests must
    not wait for."""
    return await anyio.to_thread.run_sync(partial(read_report, content, max_bytes=max_bytes))


def _name_key(name: str) -> str:
    """Exact full name, but not its case, accents' encoding or spacing."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _names(cell: str) -> list[str]:
    """Zoom's "Name (Original Name)": a renamed participant's display name, then the original."""
    names = [cell]
    if cell.endswith(")") and "(" in cell:
        shown, _, original = cell[:-1].partition("(")
        names += [shown, original]
    return [key for key in dict.fromkeys(_name_key(n) for n in names) if key]


@dataclass
class _Invitee:
    invitation_id: UUID
    person: Person


class AttendanceService:
    def __init__(self, session: AsyncSession, settings: Settings, principal: Principal) -> None:
        self.session = session
        self.settings = settings
        self.staff_id = principal.user_id if isinstance(principal, StaffPrincipal) else None

    async def _event(self, event_id: UUID) -> Event:
        return await get_or_404(self.session, Event, event_id, "event")

    def _insert(self, rows: list[dict[str, Any]] | None = None) -> Any:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(EventAttendance)
        return stmt.values(rows) if rows else stmt

    # --- at the door -----------------------------------------------------------------------------

    async def check_in(self, event_id: UUID, code: str) -> schemas.CheckInOut:
        event = await self._event(event_id)
        if event.status is EventStatus.CANCELLED:
            raise Conflict("the event is cancelled")
        if not carries_code(event.format):
            raise Conflict(
                "the event is online: its invitations carry no check-in code; import the meeting's "
                "participant report instead"
            )
        printed = normalise_code(code)
        if printed is None:
            raise Invalid.field("code", "a check-in code has ten letters and digits, as ABCDE-12345")
        invitations = (
            await self.session.execute(
                select(Invitation.id, Invitation.person_id, Invitation.withdrawn_at).where(
                    Invitation.event_id == event.id
                )
            )
        ).all()
        key = self.settings.app.secret_key
        found = next((inv for inv in invitations if checkin_code(key, inv.id) == printed), None)
        if found is None:
            raise Invalid.field(
                "code",
                "no invitation to this event has this check-in code: it is from another event's "
                "invitation, or mistyped",
            )
        if found.withdrawn_at is not None:
            raise Conflict(
                "this person's invitation to the event was withdrawn; if they are let in, record them "
                "as a walk-in"
            )
        now = dt.datetime.now(dt.UTC)
        stmt = self._insert(
            [
                {
                    "event_id": event.id,
                    "person_id": found.person_id,
                    "invitation_id": found.id,
                    "source": AttendanceSource.CHECKED_IN,
                    "checked_in_at": now,
                    "recorded_by_id": self.staff_id,
                }
            ]
        )
        # The first scan's time stays: a second desk (or a second scan) that inserts at the same
        # moment waits for the first to commit and then finds its row.
        stmt = stmt.on_conflict_do_update(
            index_elements=[EventAttendance.event_id, EventAttendance.person_id],
            set_={"checked_in_at": func.coalesce(EventAttendance.checked_in_at, stmt.excluded.checked_in_at)},
        ).returning(EventAttendance.id)
        attendance_id = (await self.session.execute(stmt)).scalar_one()
        attendance = await self._attendance(attendance_id)
        assert attendance.checked_in_at is not None
        return schemas.CheckInOut(
            already_checked_in=attendance.checked_in_at != now,
            checked_in_at=attendance.checked_in_at,
            attendance=_out(attendance),
        )

    async def _attendance(self, attendance_id: UUID) -> EventAttendance:
        stmt = (
            select(EventAttendance)
            .where(EventAttendance.id == attendance_id)
            .options(joinedload(EventAttendance.person).joinedload(Person.organisation))
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one()

    # --- by hand -------------------------------------------------------------------------------

    async def record(self, event_id: UUID, data: schemas.AttendanceIn) -> schemas.AttendanceChange:
        event = await self._event(event_id)
        invitations = {
            inv.id: inv
            for inv in (
                await self.session.scalars(select(Invitation).where(Invitation.event_id == event.id))
            ).all()
        }
        unknown = [str(i) for i in data.invitation_ids if i not in invitations]
        if unknown:
            raise Invalid.field("invitation_ids", f"not invitations to this event: {', '.join(unknown)}")
        wanted = list(
            dict.fromkeys([*data.person_ids, *(invitations[i].person_id for i in data.invitation_ids)])
        )
        if not wanted:
            raise Invalid.field("person_ids", "name at least one person or invitation")
        known = set((await self.session.scalars(select(Person.id).where(Person.id.in_(wanted)))).all())
        missing = [str(p) for p in wanted if p not in known]
        if missing:
            raise Invalid.field("person_ids", f"unknown people: {', '.join(missing)}")
        present = set(
            (
                await self.session.scalars(
                    select(EventAttendance.person_id).where(
                        EventAttendance.event_id == event.id, EventAttendance.person_id.in_(wanted)
                    )
                )
            ).all()
        )
        active = {inv.person_id: inv.id for inv in invitations.values() if inv.withdrawn_at is None}
        added: list[UUID] = []
        removed: list[UUID] = []
        if data.attended:
            added = [p for p in wanted if p not in present]
            if added:
                rows = [
                    {
                        "event_id": event.id,
                        "person_id": person_id,
                        "invitation_id": active.get(person_id),
                        "source": AttendanceSource.RECORDED,
                        "recorded_by_id": self.staff_id,
                    }
                    for person_id in added
                ]
                await self.session.execute(
                    self._insert(rows).on_conflict_do_nothing(
                        index_elements=[EventAttendance.event_id, EventAttendance.person_id]
                    )
                )
        else:
            removed = [p for p in wanted if p in present]
            if removed:
                await self.session.execute(
                    delete(EventAttendance).where(
                        EventAttendance.event_id == event.id, EventAttendance.person_id.in_(removed)
                    )
                )
        total = await self.session.scalar(
            select(func.count()).select_from(EventAttendance).where(EventAttendance.event_id == event.id)
        )
        return schemas.AttendanceChange(
            event_id=event.id, added=added, removed=removed, attended=int(total or 0)
        )

    async def listing(self, event_id: UUID, page: PageParams) -> tuple[list[schemas.AttendanceOut], int]:
        event = await self._event(event_id)
        stmt = (
            select(EventAttendance)
            .join(EventAttendance.person)
            .outerjoin(Person.organisation)
            .options(contains_eager(EventAttendance.person).contains_eager(Person.organisation))
            .where(EventAttendance.event_id == event.id)
            .order_by(Person.full_name, EventAttendance.id)
        )
        rows, total = await page_of(self.session, stmt, page)
        return [_out(row) for row in rows], total

    # --- from the meeting's report -------------------------------------------------------------

    async def import_report(self, event_id: UUID, report: Report, *, dry_run: bool) -> schemas.ImportReport:
        event = await self._event(event_id)
        invitees = await self._invitees(event)
        by_email: dict[str, _Invitee] = {}
        by_name: dict[str, list[_Invitee]] = defaultdict(list)
        for one in invitees:
            by_email[one.person.email.casefold()] = one
            by_name[_name_key(one.person.full_name)].append(one)

        rows_of: dict[UUID, list[ReportRow]] = defaultdict(list)
        matched_by: dict[UUID, str] = {}
        unmatched: list[schemas.UnmatchedRow] = [
            schemas.UnmatchedRow(
                row=schemas.ReportRowOut(row=u.number, name=u.name, email=u.email, minutes=None),
                reason=f"unreadable: {u.reason}",
            )
            for u in report.unreadable
        ]
        ambiguous: list[schemas.AmbiguousRow] = []
        for row in report.rows:
            invitee: _Invitee | None = by_email.get(row.email.strip().casefold()) if row.email else None
            how = "email"
            if invitee is None:
                how = "name"
                candidates = next((by_name[n] for n in _names(row.name) if by_name.get(n)), [])
                if len(candidates) > 1:
                    ambiguous.append(
                        schemas.AmbiguousRow(
                            row=_row_out(row),
                            candidates=[schemas.Attendee.from_model(c.person) for c in candidates],
                        )
                    )
                    continue
                invitee = candidates[0] if candidates else None
            if invitee is None:
                reason = "no invitee has this email address or name"
                unmatched.append(schemas.UnmatchedRow(row=_row_out(row), reason=reason))
                continue
            rows_of[invitee.invitation_id].append(row)
            # Matched by email on any of their rows counts as matched by email.
            if matched_by.get(invitee.invitation_id) != "email":
                matched_by[invitee.invitation_id] = how

        index = {i.invitation_id: i for i in invitees}
        matched = [
            schemas.MatchedPerson(
                person=schemas.Attendee.from_model(index[inv_id].person),
                invitation_id=inv_id,
                matched_by=matched_by[inv_id],  # type: ignore[arg-type]
                minutes=merged_minutes(rows),
                rows=[r.number for r in rows],
            )
            for inv_id, rows in rows_of.items()
        ]
        matched.sort(key=lambda m: (m.person.full_name, str(m.person.id)))
        unmatched.sort(key=lambda u: u.row.row)
        if not dry_run and matched:
            await self._write_minutes(event, matched)
        return schemas.ImportReport(
            event_id=event.id,
            report_kind=report.kind,
            file_format=report.file_format,
            dry_run=dry_run,
            written=not dry_run and bool(matched),
            counts=schemas.ImportCounts(
                rows=len(report.rows) + len(report.unreadable),
                matched_rows=sum(len(m.rows) for m in matched),
                people=len(matched),
                unmatched=len(unmatched),
                ambiguous=len(ambiguous),
            ),
            matched=matched,
            unmatched=unmatched,
            ambiguous=ambiguous,
        )

    async def _invitees(self, event: Event) -> list[_Invitee]:
        rows = await self.session.execute(
            select(Invitation.id, Person)
            .join(Person, Person.id == Invitation.person_id)
            .outerjoin(Person.organisation)
            .options(contains_eager(Person.organisation))
            .where(Invitation.event_id == event.id, Invitation.withdrawn_at.is_(None))
        )
        return [_Invitee(invitation_id, person) for invitation_id, person in rows.tuples()]

    async def _write_minutes(self, event: Event, matched: list[schemas.MatchedPerson]) -> None:
        """A report imported again replaces the minutes and keeps the rest (source, check-in)."""
        rows = [
            {
                "event_id": event.id,
                "person_id": m.person.id,
                "invitation_id": m.invitation_id,
                "source": AttendanceSource.IMPORTED,
                "minutes": m.minutes,
                "recorded_by_id": self.staff_id,
            }
            for m in matched
        ]
        stmt = self._insert()
        # Many rows in one execute: SQLAlchemy batches them into multi-row INSERTs ("insertmanyvalues").
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[EventAttendance.event_id, EventAttendance.person_id],
                set_={"minutes": stmt.excluded.minutes},
            ),
            rows,
        )


def _row_out(row: ReportRow) -> schemas.ReportRowOut:
    return schemas.ReportRowOut(row=row.number, name=row.name, email=row.email, minutes=merged_minutes([row]))


def _out(row: EventAttendance) -> schemas.AttendanceOut:
    return schemas.AttendanceOut.from_model(row, person=schemas.Attendee.from_model(row.person))


async def attendance_by_invitation(
    session: AsyncSession, invitation_ids: Sequence[UUID]
) -> dict[UUID, InvitationAttendance]:
    """For the invitation list (consult.invitations.service.AttendanceOf)."""
    rows = await session.execute(
        select(
            EventAttendance.invitation_id,
            EventAttendance.source,
            EventAttendance.checked_in_at,
            EventAttendance.minutes,
        ).where(EventAttendance.invitation_id.in_(invitation_ids))
    )
    return {
        invitation_id: InvitationAttendance(source=source.value, checked_in_at=at, minutes=minutes)
        for invitation_id, source, at, minutes in rows.tuples()
        if invitation_id is not None
    }
