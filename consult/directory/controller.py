from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.directory import schemas
from consult.directory.imports import ImportRejected, PeopleImportService, read_upload
from consult.directory.models import Language, OrganisationKind, PersonGroup
from consult.directory.service import GroupService, OrganisationService, PersonService
from consult.errors import problem_response
from consult.pagination import Page, PageParams


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["directory"]

    @get("/", guards=[any_staff])
    async def list_organisations(
        self,
        db_session: AsyncSession,
        page: PageParams,
        q: str | None = None,
        kind: OrganisationKind | None = None,
        country: str | None = None,
    ) -> Page[schemas.OrganisationOut]:
        rows, total = await OrganisationService(db_session).list(page, q=q, kind=kind, country=country)
        items = [schemas.OrganisationOut.from_model(r) for r in rows]
        return Page.of(items, total, page)

    @post("/", guards=[organisers])
    async def create_organisation(
        self, db_session: AsyncSession, data: schemas.OrganisationCreate
    ) -> schemas.OrganisationOut:
        organisation = await OrganisationService(db_session).create(data)
        return schemas.OrganisationOut.from_model(organisation)

    @get("/{organisation_id:uuid}", guards=[any_staff])
    async def get_organisation(
        self, db_session: AsyncSession, organisation_id: UUID
    ) -> schemas.OrganisationOut:
        organisation = await OrganisationService(db_session).get(organisation_id)
        return schemas.OrganisationOut.from_model(organisation)

    @patch("/{organisation_id:uuid}", guards=[organisers])
    async def update_organisation(
        self, db_session: AsyncSession, organisation_id: UUID, data: schemas.OrganisationPatch
    ) -> schemas.OrganisationOut:
        organisation = await OrganisationService(db_session).update(organisation_id, data)
        return schemas.OrganisationOut.from_model(organisation)

    @delete("/{organisation_id:uuid}", guards=[organisers])
    async def delete_organisation(self, db_session: AsyncSession, organisation_id: UUID) -> None:
        await OrganisationService(db_session).delete(organisation_id)


def _import_rejected(request: Request[Any, Any, Any], exc: ImportRejected) -> Response[dict[str, Any]]:
    """The 422 problem carries the full report, so the organiser sees every row to correct."""
    return problem_response(
        request,
        status=exc.status_code,
        title=exc.title,
        detail=exc.detail,
        extra={"report": msgspec.to_builtins(exc.report)},
    )


class PersonController(Controller):
    path = "/api/v1/people"
    tags = ["directory"]

    @get("/", guards=[any_staff])
    async def list_people(
        self,
        db_session: AsyncSession,
        page: PageParams,
        q: str | None = None,
        organisation_id: UUID | None = None,
        language: Language | None = None,
        group_id: UUID | None = None,
    ) -> Page[schemas.PersonOut]:
        rows, total = await PersonService(db_session).list(
            page, q=q, organisation_id=organisation_id, language=language, group_id=group_id
        )
        items = [schemas.PersonOut.from_model(r) for r in rows]
        return Page.of(items, total, page)

    @post("/", guards=[organisers])
    async def create_person(self, db_session: AsyncSession, data: schemas.PersonCreate) -> schemas.PersonOut:
        person = await PersonService(db_session).create(data)
        return schemas.PersonOut.from_model(person)

    # The body limit (CONSULT_IMPORT_MAX_BYTES) is set on this controller by create_app.
    @post(
        "/import",
        guards=[organisers],
        status_code=200,
        exception_handlers={ImportRejected: _import_rejected},
    )
    async def import_people(
        self,
        db_session: AsyncSession,
        state: State,
        data: Annotated[schemas.PeopleImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        dry_run: bool = False,
        skip_invalid: bool = False,
    ) -> schemas.ImportReport:
        """Create or update people from a CSV (UTF-8) or XLSX file sent in the form field ``file``.

        People are matched by email, organisations by name. ``dry_run`` checks without writing;
        ``skip_invalid`` imports the valid rows and reports the others. Otherwise any invalid row
        makes the answer a 422 problem that writes nothing and carries the report under ``report``.
        """
        sheet = await read_upload(await data.file.read(), max_bytes=state.settings.uploads.import_max_bytes)
        return await PeopleImportService(db_session).import_sheet(
            sheet, dry_run=dry_run, skip_invalid=skip_invalid
        )

    @get("/{person_id:uuid}", guards=[any_staff])
    async def get_person(self, db_session: AsyncSession, person_id: UUID) -> schemas.PersonOut:
        person = await PersonService(db_session).get(person_id)
        return schemas.PersonOut.from_model(person)

    @patch("/{person_id:uuid}", guards=[organisers])
    async def update_person(
        self, db_session: AsyncSession, person_id: UUID, data: schemas.PersonPatch
    ) -> schemas.PersonOut:
        person = await PersonService(db_session).update(person_id, data)
        return schemas.PersonOut.from_model(person)

    @delete("/{person_id:uuid}", guards=[organisers])
    async def delete_person(self, db_session: AsyncSession, person_id: UUID) -> None:
        await PersonService(db_session).delete(person_id)


async def _group_out(service: GroupService, group: PersonGroup) -> schemas.GroupOut:
    return schemas.GroupOut.from_model(group, member_count=await service.member_count(group.id))


class GroupController(Controller):
    path = "/api/v1/groups"
    tags = ["directory"]

    @get("/", guards=[any_staff])
    async def list_groups(
        self, db_session: AsyncSession, page: PageParams, q: str | None = None
    ) -> Page[schemas.GroupOut]:
        service = GroupService(db_session)
        rows, total = await service.list(page, q=q)
        counts = await service.member_counts([g.id for g in rows])
        items = [schemas.GroupOut.from_model(g, member_count=counts.get(g.id, 0)) for g in rows]
        return Page.of(items, total, page)

    @post("/", guards=[organisers])
    async def create_group(self, db_session: AsyncSession, data: schemas.GroupCreate) -> schemas.GroupOut:
        service = GroupService(db_session)
        return await _group_out(service, await service.create(data))

    @get("/{group_id:uuid}", guards=[any_staff])
    async def get_group(self, db_session: AsyncSession, group_id: UUID) -> schemas.GroupOut:
        service = GroupService(db_session)
        return await _group_out(service, await service.get(group_id))

    @patch("/{group_id:uuid}", guards=[organisers])
    async def update_group(
        self, db_session: AsyncSession, group_id: UUID, data: schemas.GroupPatch
    ) -> schemas.GroupOut:
        service = GroupService(db_session)
        return await _group_out(service, await service.update(group_id, data))

    @delete("/{group_id:uuid}", guards=[organisers])
    async def delete_group(self, db_session: AsyncSession, group_id: UUID) -> None:
        await GroupService(db_session).delete(group_id)

    @get("/{group_id:uuid}/members", guards=[any_staff])
    async def list_members(
        self, db_session: AsyncSession, group_id: UUID, page: PageParams
    ) -> Page[schemas.PersonOut]:
        await GroupService(db_session).get(group_id)
        rows, total = await PersonService(db_session).list(
            page, q=None, organisation_id=None, language=None, group_id=group_id
        )
        items = [schemas.PersonOut.from_model(r) for r in rows]
        return Page.of(items, total, page)

    @post("/{group_id:uuid}/members", guards=[organisers])
    async def add_members(
        self, db_session: AsyncSession, group_id: UUID, data: schemas.GroupMembers
    ) -> schemas.GroupOut:
        service = GroupService(db_session)
        await service.add_members(group_id, data.person_ids)
        return await _group_out(service, await service.get(group_id))

    @put("/{group_id:uuid}/members", guards=[organisers])
    async def replace_members(
        self, db_session: AsyncSession, group_id: UUID, data: schemas.GroupMembers
    ) -> schemas.GroupOut:
        service = GroupService(db_session)
        await service.replace_members(group_id, data.person_ids)
        return await _group_out(service, await service.get(group_id))

    @delete("/{group_id:uuid}/members/{person_id:uuid}", guards=[organisers])
    async def remove_member(self, db_session: AsyncSession, group_id: UUID, person_id: UUID) -> None:
        await GroupService(db_session).remove_member(group_id, person_id)
