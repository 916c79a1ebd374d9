"""The audit listeners on a real session: what each kind of actor leaves in the log."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.models import ActorKind, AuditEntry
from consult.audit.recording import Actor, act_as, record_changes
from consult.audit.service import forget_values
from consult.auth.models import Role
from consult.auth.principals import StaffPrincipal
from consult.directory.models import Organisation, OrganisationKind
from consult.sessions import ADDRESS_KEY, PRINCIPAL_KEY

pytestmark = pytest.mark.anyio

ADMIN = StaffPrincipal(user_id=uuid.uuid4(), email="admin@example.org", role=Role.ADMIN)


@pytest.fixture(autouse=True)
def _recording() -> None:
    record_changes()


async def entries(session: AsyncSession) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.created_at))).all())


async def test_staff_changes_are_recorded_with_old_and_new_values(db_session: AsyncSession) -> None:
    db_session.info[PRINCIPAL_KEY] = ADMIN
    db_session.info[ADDRESS_KEY] = "192.0.2.7"
    organisation = Organisation(name="Migrant Support NGO", kind=OrganisationKind.NGO)
    db_session.add(organisation)
    await db_session.flush()
    organisation.name = "Migrant Support Network"
    await db_session.flush()
    await db_session.delete(organisation)
    await db_session.flush()

    created, updated, deleted = await entries(db_session)
    assert [e.action for e in (created, updated, deleted)] == ["create", "update", "delete"]
    for entry in (created, updated, deleted):
        assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (
            ActorKind.STAFF,
            ADMIN.user_id,
            ADMIN.email,
        )
        assert (entry.entity_type, entry.entity_id, entry.address) == (
            "organisation",
            organisation.id,
            "192.0.2.7",
        )
    assert created.changes is not None
    assert created.changes["name"] == {"old": None, "new": "Migrant Support NGO"}
    assert created.changes["kind"] == {"old": None, "new": "ngo"}
    assert updated.fields == ["name"]
    assert updated.changes == {"name": {"old": "Migrant Support NGO", "new": "Migrant Support Network"}}


async def test_a_stakeholders_change_names_the_fields_not_the_values(db_session: AsyncSession) -> None:
    person_id = uuid.uuid4()
    act_as(db_session, Actor.stakeholder(person_id))
    db_session.add(Organisation(name="Private text", kind=OrganisationKind.NGO))
    await db_session.flush()
    [entry] = await entries(db_session)
    assert (entry.actor_kind, entry.actor_id) == (ActorKind.STAKEHOLDER, person_id)
    assert "name" in entry.fields
    assert entry.changes is None


async def test_without_a_principal_the_system_acts(db_session: AsyncSession) -> None:
    db_session.add(Organisation(name="Ministry", kind=OrganisationKind.GOVERNMENT))
    await db_session.flush()
    [entry] = await entries(db_session)
    assert (entry.actor_kind, entry.actor_id, entry.address) == (ActorKind.SYSTEM, None, None)


async def test_a_request_that_names_no_one_is_anonymous_not_the_system(db_session: AsyncSession) -> None:
    db_session.info[PRINCIPAL_KEY] = None  # a public page's request
    db_session.add(Organisation(name="Ministry", kind=OrganisationKind.GOVERNMENT))
    await db_session.flush()
    [entry] = await entries(db_session)
    assert entry.actor_kind is ActorKind.ANONYMOUS


async def test_bulk_statements_are_recorded_once_with_their_columns(db_session: AsyncSession) -> None:
    db_session.add(Organisation(name="Ministry", kind=OrganisationKind.GOVERNMENT))
    await db_session.commit()
    db_session.info[PRINCIPAL_KEY] = ADMIN
    await db_session.execute(update(Organisation).values(country="AZ"))
    bulk = (await entries(db_session))[-1]
    assert (bulk.action, bulk.entity_type, bulk.entity_id, bulk.fields) == (
        "update",
        "organisation",
        None,
        ["country"],
    )


async def test_a_rolled_back_change_leaves_no_entry(db_session: AsyncSession) -> None:
    db_session.add(Organisation(name="Ministry", kind=OrganisationKind.GOVERNMENT))
    await db_session.flush()
    await db_session.rollback()
    assert await entries(db_session) == []


async def test_forgetting_a_rows_values_keeps_that_it_changed(db_session: AsyncSession) -> None:
    db_session.info[PRINCIPAL_KEY] = ADMIN
    erased = Organisation(name="Anna Gruber Consulting", kind=OrganisationKind.OTHER)
    kept = Organisation(name="Ministry", kind=OrganisationKind.GOVERNMENT)
    db_session.add_all([erased, kept])
    await db_session.flush()
    erased.name = "(erased)"  # the erasure's own change, not flushed yet

    await forget_values(db_session, "organisation", erased.id)

    about_erased = [e for e in await entries(db_session) if e.entity_id == erased.id]
    assert [(e.action, e.changes) for e in about_erased] == [("create", None), ("update", None)]
    assert about_erased[1].fields == ["name"]
    [about_kept] = [e for e in await entries(db_session) if e.entity_id == kept.id]
    assert about_kept.changes is not None
    assert about_kept.changes["name"]["new"] == "Ministry"
