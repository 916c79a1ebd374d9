"""Importing people from a spreadsheet into the directory, all or nothing.

The file is checked as a whole before anything is written: rows are matched to existing people by
email and to organisations by name, and the outcome of every row is known up front. Then either
everything valid is written in the request's transaction, or (a dry run, or invalid rows without
``skip_invalid``) nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consult.directory import schemas
from consult.directory.importer import (
    PeopleSheet,
    PersonRow,
    RejectedRow,
    check_rows,
    organisation_key,
    plan_new_organisations,
    read_people_file,
)
from consult.directory.models import Language, Organisation, Person
from consult.directory.service import OrganisationService
from consult.errors import Conflict, Invalid

Status = schemas.ImportRowStatus


async def read_upload(content: bytes, *, max_bytes: int) -> PeopleSheet:
    """``read_people_file`` in a worker thread: a large sheet is seconds of CPU that the other
    requests must not wait for."""
    return await anyio.to_thread.run_sync(partial(read_people_file, content, max_bytes=max_bytes))


class ImportRejected(Invalid):
    """Some rows are invalid and skipping them was not asked for, so nothing is written."""

    def __init__(self, report: schemas.ImportReport) -> None:
        total = len(report.rows)
        rejected = report.counts.rejected
        super().__init__(
            f"nothing was imported because of errors in {_rows(rejected)} out of {total}; correct them, "
            f"or send skip_invalid=true to import the other {_rows(total - rejected)}"
        )
        self.report = report


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


@dataclass
class _PlannedRow:
    row: PersonRow
    status: Status
    organisation: Organisation | None  # existing, or new and not yet written
    person: Person | None  # the existing person with this email; the new one once written
    changes: dict[str, Any] = field(default_factory=dict)  # attributes an update sets on the person
    moves_organisation: bool = False


class PeopleImportService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def import_sheet(
        self, sheet: PeopleSheet, *, dry_run: bool, skip_invalid: bool
    ) -> schemas.ImportReport:
        checked = await anyio.to_thread.run_sync(check_rows, sheet)  # 20,000 rows take a while
        rejected = [r for r in checked if isinstance(r, RejectedRow)]
        valid = [r for r in checked if isinstance(r, PersonRow)]

        organisations = await self._existing_organisations(valid)
        new_organisations, kind_rejections = plan_new_organisations(valid, set(organisations))
        for key, planned_organisation in new_organisations.items():
            organisations[key] = Organisation(name=planned_organisation.name, kind=planned_organisation.kind)
        rejected += [
            RejectedRow(r.number, r.email, (kind_rejections[r.number],))
            for r in valid
            if r.number in kind_rejections
        ]
        accepted = [r for r in valid if r.number not in kind_rejections]

        people = await self._existing_people(accepted)
        planned = [
            self._plan(
                row,
                organisations[organisation_key(row.organisation)] if row.organisation else None,
                people.get(row.email),
            )
            for row in accepted
        ]
        created_organisations = [organisations[key] for key in new_organisations]

        write = not dry_run and (skip_invalid or not rejected)
        if write:
            await self._write(created_organisations, planned)
        report = self._report(sheet, planned, rejected, created_organisations, dry_run=dry_run, written=write)
        if rejected and not skip_invalid:
            raise ImportRejected(report)
        return report

    async def _existing_organisations(self, rows: list[PersonRow]) -> dict[str, Organisation]:
        # One lookup per distinct organisation (a file names a few dozen), matched as the API does.
        names = {organisation_key(r.organisation): r.organisation for r in rows if r.organisation}
        service = OrganisationService(self.session)
        found = {key: await service.find_by_name(name) for key, name in names.items()}
        return {key: organisation for key, organisation in found.items() if organisation is not None}

    async def _existing_people(self, rows: list[PersonRow]) -> dict[str, Person]:
        if not rows:
            return {}
        stmt = select(Person).where(Person.email.in_([r.email for r in rows]))
        return {person.email: person for person in await self.session.scalars(stmt)}

    @staticmethod
    def _plan(row: PersonRow, organisation: Organisation | None, person: Person | None) -> _PlannedRow:
        """What the row does to the directory; blank cells leave an existing person's values alone."""
        if person is None:
            return _PlannedRow(row, Status.CREATED, organisation, person)
        wanted = {
            "full_name": row.full_name,
            "position": row.position,
            "language": row.language,
            "timezone": row.timezone,
        }
        changes = {k: v for k, v in wanted.items() if v is not None and getattr(person, k) != v}
        # A new organisation has no id yet, so it always differs from the person's.
        moves = organisation is not None and person.organisation_id != organisation.id
        status = Status.UPDATED if changes or moves else Status.UNCHANGED
        return _PlannedRow(row, status, organisation, person, changes, moves)

    async def _write(self, organisations: list[Organisation], planned: list[_PlannedRow]) -> None:
        self.session.add_all(organisations)
        await self._flush()  # the new organisations get their ids for the people below
        for plan in planned:
            organisation_id = plan.organisation.id if plan.organisation else None
            if plan.person is None:
                plan.person = Person(
                    full_name=plan.row.full_name,
                    email=plan.row.email,
                    organisation_id=organisation_id,
                    position=plan.row.position,
                    language=plan.row.language or Language.EN,
                    timezone=plan.row.timezone or "UTC",
                )
                self.session.add(plan.person)
            else:
                for attribute, value in plan.changes.items():
                    setattr(plan.person, attribute, value)
                if plan.moves_organisation:
                    plan.person.organisation_id = organisation_id
        await self._flush()

    async def _flush(self) -> None:
        """Another request adding the same email or organisation meanwhile is a 409, not a 500."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(
                "an email address or organisation in the file was added to the directory meanwhile; "
                "nothing was imported, send the file again"
            ) from exc

    @staticmethod
    def _report(
        sheet: PeopleSheet,
        planned: list[_PlannedRow],
        rejected: list[RejectedRow],
        created_organisations: list[Organisation],
        *,
        dry_run: bool,
        written: bool,
    ) -> schemas.ImportReport:
        rows = [
            schemas.ImportRow(
                row=plan.row.number,
                status=plan.status,
                email=plan.row.email,
                person_id=plan.person.id if plan.person else None,
            )
            for plan in planned
        ] + [
            schemas.ImportRow(
                row=r.number,
                status=Status.REJECTED,
                email=r.email,
                errors=[schemas.ImportRowError(e.field, e.reason) for e in r.errors],
            )
            for r in rejected
        ]
        rows.sort(key=lambda r: r.row)
        counts = {status: 0 for status in Status}
        for row in rows:
            counts[row.status] += 1
        return schemas.ImportReport(
            file_format=sheet.file_format,
            dry_run=dry_run,
            written=written,
            counts=schemas.ImportCounts(
                created=counts[Status.CREATED],
                updated=counts[Status.UPDATED],
                unchanged=counts[Status.UNCHANGED],
                rejected=counts[Status.REJECTED],
            ),
            organisations_created=[o.name for o in created_organisations],
            unknown_columns=list(sheet.unknown_columns),
            rows=rows,
        )
