from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff, organisers
from consult.crud import RowRoutes
from consult.directory import schemas
from consult.directory.imports import ImportRejected, PeopleImportService, read_upload
from consult.directory.models import Language, OrganisationKind, PersonGroup
from consult.directory.service import GroupService, OrganisationService, PersonService
from consult.errors import problem_response
from consult.pagination import Page, PageParams

organisations = RowRoutes(
    "organisation_id", OrganisationService, schemas.OrganisationOut, read=[any_staff], write=[organisers]
)
people = RowRoutes("person_id", PersonService, schemas.PersonOut, read=[any_staff], write=[organisers])


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["directory"]

    list_organisations = organisations.list(q=str | None, kind=OrganisationKind | None, country=str | None)
    create_organisation = organisations.create(schemas.OrganisationCreate)
    get_organisation = organisations.read()
    update_organisation = organisations.update(schemas.OrganisationPatch)
    delete_organisation = organisations.delete()


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

    list_people = people.list(
        q=str | None, organisation_id=UUID | None, language=Language | None, group_id=UUID | None
    )
    create_person = people.create(schemas.PersonCreate)

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

    get_person = people.read()
    update_person = people.update(schemas.PersonPatch)
    delete_person = people.delete()


async def _group_out(service: GroupService, group: PersonGroup) -> schemas.GroupOut:
    return schemas.GroupOut.from_model(group, member_count=await service.member_count(group.id))


groups = RowRoutes(
    "group_id", GroupService, schemas.GroupOut, read=[any_staff], write=[organisers], present=_group_out
)


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

    create_group = groups.create(schemas.GroupCreate)
    get_group = groups.read()
    update_group = groups.update(schemas.GroupPatch)
    delete_group = groups.delete()

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
        return await _group_out(service, await service.add_members(group_id, data.person_ids))

    @put("/{group_id:uuid}/members", guards=[organisers])
    async def replace_members(
        self, db_session: AsyncSession, group_id: UUID, data: schemas.GroupMembers
    ) -> schemas.GroupOut:
        service = GroupService(db_session)
        return await _group_out(service, await service.replace_members(group_id, data.person_ids))

    @delete("/{group_id:uuid}/members/{person_id:uuid}", guards=[organisers])
    async def remove_member(self, db_session: AsyncSession, group_id: UUID, person_id: UUID) -> None:
        await GroupService(db_session).remove_member(group_id, person_id)
