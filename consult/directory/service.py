"""The stakeholder directory: organisations, people and groups."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from consult.auth.service import normalise_email
from consult.crud import RowService, page_of, patch_fields
from consult.directory import schemas
from consult.directory.models import (
    Language,
    Organisation,
    OrganisationKind,
    Person,
    PersonGroup,
    group_member,
)
from consult.errors import Conflict, FieldError, Invalid
from consult.pagination import PageParams
from consult.validation import check_country, check_timezone, check_web_url


class OrganisationService(RowService[Organisation]):
    model = Organisation
    label = "organisation"

    async def find_by_name(self, name: str) -> Organisation | None:
        stmt = select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
        return await self.session.scalar(stmt)

    async def _ensure_name_free(self, name: str, keep: UUID | None = None) -> None:
        existing = await self.find_by_name(name)
        if existing is not None and existing.id != keep:
            raise Conflict(
                f"an organisation named {existing.name!r} already exists",
                errors=[FieldError("name", "already used by another organisation")],
            )

    async def create(self, data: schemas.OrganisationCreate) -> Organisation:
        await self._ensure_name_free(data.name)
        organisation = Organisation(
            name=data.name.strip(),
            kind=data.kind,
            country=check_country(data.country),
            website=check_web_url(data.website, "website"),
        )
        return await self.add(organisation)

    async def update(self, organisation_id: UUID, patch: schemas.OrganisationPatch) -> Organisation:
        organisation = await self.get(organisation_id)
        changes = patch_fields(patch)
        if "name" in changes:
            await self._ensure_name_free(changes["name"], keep=organisation.id)
            organisation.name = changes["name"].strip()
        if "kind" in changes:
            organisation.kind = changes["kind"]
        if "country" in changes:
            organisation.country = check_country(changes["country"])
        if "website" in changes:
            organisation.website = check_web_url(changes["website"], "website")
        await self.session.flush()
        return organisation

    async def list(
        self, page: PageParams, *, q: str | None, kind: OrganisationKind | None, country: str | None
    ) -> tuple[list[Organisation], int]:
        stmt = select(Organisation).order_by(Organisation.name, Organisation.id)
        if q:
            stmt = stmt.where(func.lower(Organisation.name).contains(q.lower(), autoescape=True))
        if kind:
            stmt = stmt.where(Organisation.kind == kind)
        if country:
            stmt = stmt.where(Organisation.country == country.upper())
        return await page_of(self.session, stmt, page)


class PersonService(RowService[Person]):
    model = Person
    label = "person"

    async def _ensure_email_free(self, email: str, keep: UUID | None = None) -> None:
        existing = await self.session.scalar(select(Person.id).where(Person.email == email))
        if existing is not None and existing != keep:
            raise Conflict(
                f"a person with email {email} already exists",
                errors=[FieldError("email", "already used by another person")],
            )

    async def _check_organisation(self, organisation_id: UUID | None) -> None:
        if organisation_id is not None and await self.session.get(Organisation, organisation_id) is None:
            raise Invalid.field("organisation_id", f"organisation {organisation_id} does not exist")

    async def create(self, data: schemas.PersonCreate) -> Person:
        email = normalise_email(data.email)
        await self._ensure_email_free(email)
        await self._check_organisation(data.organisation_id)
        person = Person(
            full_name=data.full_name.strip(),
            email=email,
            organisation_id=data.organisation_id,
            position=data.position,
            language=data.language,
            timezone=check_timezone(data.timezone),
        )
        self.session.add(person)
        await self._flush_unique(email)
        return person

    async def update(self, person_id: UUID, patch: schemas.PersonPatch) -> Person:
        person = await self.get(person_id)
        changes = patch_fields(patch)
        if "email" in changes:
            email = normalise_email(changes["email"])
            await self._ensure_email_free(email, keep=person.id)
            person.email = email
        if "organisation_id" in changes:
            await self._check_organisation(changes["organisation_id"])
            person.organisation_id = changes["organisation_id"]
        if "timezone" in changes:
            person.timezone = check_timezone(changes["timezone"])
        if "full_name" in changes:
            person.full_name = changes["full_name"].strip()
        if "position" in changes:
            person.position = changes["position"]
        if "language" in changes:
            person.language = changes["language"]
        await self._flush_unique(person.email)
        return person

    async def _flush_unique(self, email: str) -> None:
        """A concurrent insert of the same address loses the race with a 409, not a 500."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict(
                f"a person with email {email} already exists",
                errors=[FieldError("email", "already used by another person")],
            ) from exc

    async def list(
        self,
        page: PageParams,
        *,
        q: str | None,
        organisation_id: UUID | None,
        language: Language | None,
        group_id: UUID | None,
    ) -> tuple[list[Person], int]:
        stmt = select(Person).order_by(Person.full_name, Person.id)
        if q:
            needle = q.lower()
            stmt = stmt.where(
                or_(
                    func.lower(Person.full_name).contains(needle, autoescape=True),
                    Person.email.contains(needle, autoescape=True),
                )
            )
        if organisation_id:
            stmt = stmt.where(Person.organisation_id == organisation_id)
        if language:
            stmt = stmt.where(Person.language == language)
        if group_id:
            stmt = stmt.join(group_member, group_member.c.person_id == Person.id).where(
                group_member.c.group_id == group_id
            )
        return await page_of(self.session, stmt, page)


class GroupService(RowService[PersonGroup]):
    model = PersonGroup
    label = "group"

    async def member_count(self, group_id: UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(group_member).where(group_member.c.group_id == group_id)
        )
        return int(count or 0)

    async def member_counts(self, group_ids: Sequence[UUID]) -> dict[UUID, int]:
        rows = await self.session.execute(
            select(group_member.c.group_id, func.count())
            .where(group_member.c.group_id.in_(group_ids))
            .group_by(group_member.c.group_id)
        )
        return {group_id: int(count) for group_id, count in rows.tuples()}

    async def _ensure_name_free(self, name: str, keep: UUID | None = None) -> None:
        existing = await self.session.scalar(select(PersonGroup.id).where(PersonGroup.name == name))
        if existing is not None and existing != keep:
            raise Conflict(
                f"a group named {name!r} already exists", errors=[FieldError("name", "already used")]
            )

    async def create(self, data: schemas.GroupCreate) -> PersonGroup:
        name = data.name.strip()
        await self._ensure_name_free(name)
        group = PersonGroup(name=name, description=data.description)
        self.session.add(group)
        await self.session.flush()
        await self.add_members(group.id, data.person_ids)
        return group

    async def update(self, group_id: UUID, patch: schemas.GroupPatch) -> PersonGroup:
        group = await self.get(group_id)
        changes = patch_fields(patch)
        if "name" in changes:
            await self._ensure_name_free(changes["name"].strip(), keep=group.id)
            group.name = changes["name"].strip()
        if "description" in changes:
            group.description = changes["description"]
        await self.session.flush()
        return group

    async def list(self, page: PageParams, *, q: str | None) -> tuple[list[PersonGroup], int]:
        stmt = select(PersonGroup).order_by(PersonGroup.name, PersonGroup.id)
        if q:
            stmt = stmt.where(func.lower(PersonGroup.name).contains(q.lower(), autoescape=True))
        return await page_of(self.session, stmt, page)

    async def _check_people(self, person_ids: Sequence[UUID]) -> set[UUID]:
        wanted = set(person_ids)
        found = set((await self.session.scalars(select(Person.id).where(Person.id.in_(wanted)))).all())
        missing = wanted - found
        if missing:
            raise Invalid(
                f"{len(missing)} person id(s) do not exist",
                errors=[FieldError("person_ids", f"unknown person {m}") for m in sorted(missing, key=str)],
            )
        return wanted

    async def add_members(self, group_id: UUID, person_ids: Sequence[UUID]) -> PersonGroup:
        group = await self.get(group_id)
        wanted = await self._check_people(person_ids)
        present = set(
            (
                await self.session.scalars(
                    select(group_member.c.person_id).where(group_member.c.group_id == group_id)
                )
            ).all()
        )
        new = wanted - present
        if new:
            await self.session.execute(
                insert(group_member), [{"group_id": group_id, "person_id": p} for p in new]
            )
        return group

    async def replace_members(self, group_id: UUID, person_ids: Sequence[UUID]) -> PersonGroup:
        await self.get(group_id)
        await self._check_people(person_ids)
        await self.session.execute(delete(group_member).where(group_member.c.group_id == group_id))
        return await self.add_members(group_id, person_ids)

    async def remove_member(self, group_id: UUID, person_id: UUID) -> None:
        await self.get(group_id)
        await self.session.execute(
            delete(group_member).where(
                group_member.c.group_id == group_id, group_member.c.person_id == person_id
            )
        )
