"""The directory's rules, on the services: unique names and addresses, references that must exist,
and rows that cannot go while others point at them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from consult.directory import schemas
from consult.directory.models import Language, OrganisationKind, group_member
from consult.directory.service import GroupService, OrganisationService, PersonService
from consult.errors import Conflict, ConsultError, Invalid, NotFound

pytestmark = pytest.mark.anyio


def fields(error: ConsultError) -> list[str]:
    return [e.field for e in error.errors]


async def test_organisation_names_are_unique_whatever_the_case(db_session):
    organisations = OrganisationService(db_session)
    ngo = await organisations.create(
        schemas.OrganisationCreate(name="  Migrant Support NGO ", kind=OrganisationKind.NGO, country="az")
    )
    assert (ngo.name, ngo.country) == ("Migrant Support NGO", "AZ")
    with pytest.raises(Conflict) as refused:
        await organisations.create(
            schemas.OrganisationCreate(name="migrant support ngo", kind=OrganisationKind.NGO)
        )
    assert fields(refused.value) == ["name"]
    assert await organisations.find_by_name("MIGRANT SUPPORT NGO ") == ngo


async def test_renaming_an_organisation_keeps_its_own_name_free_but_not_anothers(db_session):
    organisations = OrganisationService(db_session)
    ngo = await organisations.create(
        schemas.OrganisationCreate(name="Migrant Support NGO", kind=OrganisationKind.NGO)
    )
    await organisations.create(
        schemas.OrganisationCreate(name="State Migration Service", kind=OrganisationKind.GOVERNMENT)
    )
    renamed = await organisations.update(ngo.id, schemas.OrganisationPatch(name="MIGRANT SUPPORT NGO"))
    assert renamed.name == "MIGRANT SUPPORT NGO"
    with pytest.raises(Conflict):
        await organisations.update(ngo.id, schemas.OrganisationPatch(name="state migration service"))


async def test_an_organisation_with_people_cannot_be_deleted(db_session):
    organisations, people = OrganisationService(db_session), PersonService(db_session)
    ngo = await organisations.create(
        schemas.OrganisationCreate(name="Migrant Support NGO", kind=OrganisationKind.NGO)
    )
    await people.create(
        schemas.PersonCreate(
            full_name="Ирина Петрова", email="i.petrova@ngo.example.org", organisation_id=ngo.id
        )
    )
    ngo_id = ngo.id
    await db_session.commit()  # as the requests that created them did (to a savepoint here)
    with pytest.raises(Conflict):
        await organisations.delete(ngo_id)
    # The refusal rolled back the delete's own transaction: the organisation is still there.
    assert (await organisations.get(ngo_id)).name == "Migrant Support NGO"


async def test_email_addresses_are_normalised_and_unique(db_session):
    people = PersonService(db_session)
    anna = await people.create(
        schemas.PersonCreate(
            full_name=" Anna Gruber ",
            email=" A.Gruber@ICMPD.example.org",
            language=Language.EN,
            timezone="Europe/Vienna",
        )
    )
    assert (anna.full_name, anna.email, anna.timezone) == (
        "Anna Gruber",
        "a.gruber@icmpd.example.org",
        "Europe/Vienna",
    )
    with pytest.raises(Conflict) as refused:
        await people.create(schemas.PersonCreate(full_name="Anna G.", email="a.gruber@icmpd.EXAMPLE.org"))
    assert fields(refused.value) == ["email"]
    luc = await people.create(schemas.PersonCreate(full_name="Luc Dubois", email="l.dubois@eeas.example.org"))
    with pytest.raises(Conflict):
        await people.update(luc.id, schemas.PersonPatch(email="A.GRUBER@icmpd.example.org"))
    assert (
        await people.update(anna.id, schemas.PersonPatch(email="a.gruber@icmpd.example.org"))
    ).id == anna.id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"organisation_id": uuid.UUID("0190f5e0-0000-7000-8000-000000000000")}, "organisation_id"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"email": "not an address"}, "email"),
    ],
)
async def test_a_person_must_point_at_what_exists(db_session, change, field):
    with pytest.raises(Invalid) as refused:
        await PersonService(db_session).create(
            schemas.PersonCreate(
                **{"full_name": "Anna Gruber", "email": "a.gruber@icmpd.example.org", **change}
            )
        )
    assert fields(refused.value) == [field]


async def test_group_members_are_added_once_and_must_exist(db_session):
    people, groups = PersonService(db_session), GroupService(db_session)
    anna = await people.create(
        schemas.PersonCreate(full_name="Anna Gruber", email="a.gruber@icmpd.example.org")
    )
    luc = await people.create(schemas.PersonCreate(full_name="Luc Dubois", email="l.dubois@eeas.example.org"))
    group = await groups.create(schemas.GroupCreate(name="Strategy working group", person_ids=[anna.id]))
    await groups.add_members(group.id, [anna.id, luc.id])
    assert await groups.member_count(group.id) == 2
    unknown = uuid.UUID("0190f5e0-0000-7000-8000-000000000001")
    with pytest.raises(Invalid) as refused:
        await groups.add_members(group.id, [luc.id, unknown])
    assert [e.reason for e in refused.value.errors] == [f"unknown person {unknown}"]
    await groups.replace_members(group.id, [luc.id])
    members = (
        await db_session.scalars(select(group_member.c.person_id).where(group_member.c.group_id == group.id))
    ).all()
    assert members == [luc.id]
    with pytest.raises(NotFound):
        await groups.add_members(unknown, [luc.id])
