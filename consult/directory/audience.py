"""Who a mailing reaches: people named directly, members of groups and staff of organisations,
expanded to distinct people. Invitations to events and comment rounds share it."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.directory.models import Organisation, Person, PersonGroup, group_member
from consult.directory.schemas import Audience
from consult.errors import FieldError, Invalid


async def expand_audience(session: AsyncSession, audience: Audience) -> list[UUID]:
    """The distinct people named, in the order given (people first, then groups, then organisations).

    Raises Invalid naming every unknown id, or when nobody at all is named.
    """
    person_ids, group_ids = audience.person_ids, audience.group_ids
    organisation_ids = audience.organisation_ids
    if not (person_ids or group_ids or organisation_ids):
        raise Invalid.field("person_ids", "name at least one person, group or organisation")
    errors: list[FieldError] = []
    wanted: dict[UUID, None] = dict.fromkeys(person_ids)
    if person_ids:
        found = set((await session.scalars(select(Person.id).where(Person.id.in_(person_ids)))).all())
        errors += [FieldError("person_ids", f"unknown person {p}") for p in person_ids if p not in found]
    if group_ids:
        groups = set(
            (await session.scalars(select(PersonGroup.id).where(PersonGroup.id.in_(group_ids)))).all()
        )
        errors += [FieldError("group_ids", f"unknown group {g}") for g in group_ids if g not in groups]
        members = await session.scalars(
            select(group_member.c.person_id).where(group_member.c.group_id.in_(group_ids))
        )
        wanted.update(dict.fromkeys(members.all()))
    if organisation_ids:
        orgs = set(
            (
                await session.scalars(select(Organisation.id).where(Organisation.id.in_(organisation_ids)))
            ).all()
        )
        errors += [
            FieldError("organisation_ids", f"unknown organisation {o}")
            for o in organisation_ids
            if o not in orgs
        ]
        staff = await session.scalars(select(Person.id).where(Person.organisation_id.in_(organisation_ids)))
        wanted.update(dict.fromkeys(staff.all()))
    if errors:
        raise Invalid("some ids do not exist", errors=errors)
    return list(wanted)
