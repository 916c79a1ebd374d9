"""Sample data from the scenario (Azerbaijan's migrant integration strategy) for `consult demo` and
`consult dev --demo`.

Loading is idempotent: rows are matched by their natural keys (organisation and group names, email
addresses, consultation and event titles), existing ones are left as they are and only missing ones
are created, through the same services the API uses.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.db import async_session_factory, create_api_engine
from consult.directory import schemas as directory
from consult.directory.models import Language, OrganisationKind, Person, PersonGroup
from consult.directory.service import GroupService, OrganisationService, PersonService
from consult.events import schemas as events
from consult.events.models import Consultation, Event, EventFormat, EventKind
from consult.events.service import ConsultationService, EventService
from consult.invitations.models import InvitationRole
from consult.invitations.schemas import InviteRequest
from consult.invitations.service import InvitationService
from consult.mail.outbox import committed_ids, dispatch
from consult.settings import Settings

Kind = OrganisationKind

SMS = "State Migration Service"
INTERIOR = "Ministry of Internal Affairs"
LABOUR = "Ministry of Labour and Social Protection of Population"
HEALTH = "Ministry of Health"
EDUCATION = "Ministry of Science and Education"
EMPLOYMENT = "State Employment Agency"
SOCIAL = "Absheron Regional Social Services Centre"
EU_DELEGATION = "EU Delegation to Azerbaijan"
BAKU_OFFICE = "ICMPD Baku Office (MIEUX+)"
MIEUX = "MIEUX+ Programme Team, ICMPD"
MOBILAZE = "MOBILAZE 2 Project Team, ICMPD"
NGO = "Migrant Support Network Azerbaijan"
LEGAL_AID = "Legal Aid Centre for Migrants"
EMPLOYERS = "National Confederation of Employers of Azerbaijan"
CONSTRUCTION = "Caspian Build Construction Company"
UNIVERSITY = "Baku University Migration Research Centre"

ORGANISATIONS: list[directory.OrganisationCreate] = [
    directory.OrganisationCreate(name=name, kind=kind, country=country)
    for name, kind, country in [
        (SMS, Kind.GOVERNMENT, "AZ"),
        (INTERIOR, Kind.GOVERNMENT, "AZ"),
        (LABOUR, Kind.GOVERNMENT, "AZ"),
        (HEALTH, Kind.GOVERNMENT, "AZ"),
        (EDUCATION, Kind.GOVERNMENT, "AZ"),
        (EMPLOYMENT, Kind.PUBLIC_AGENCY, "AZ"),
        (SOCIAL, Kind.SOCIAL_SERVICE, "AZ"),
        (EU_DELEGATION, Kind.INTERNATIONAL, "AZ"),
        (BAKU_OFFICE, Kind.INTERNATIONAL, "AZ"),
        (MIEUX, Kind.INTERNATIONAL, "BE"),
        (MOBILAZE, Kind.INTERNATIONAL, "AT"),
        (NGO, Kind.NGO, "AZ"),
        (LEGAL_AID, Kind.NGO, "AZ"),
        (EMPLOYERS, Kind.PRIVATE_SECTOR, "AZ"),
        (CONSTRUCTION, Kind.PRIVATE_SECTOR, "AZ"),
        (UNIVERSITY, Kind.ACADEMIA, "AZ"),
    ]
]


@dataclass(frozen=True)
class DemoPerson:
    full_name: str
    email: str
    organisation: str
    position: str
    language: Language
    timezone: str
    in_working_group: bool = False


BAKU, VIENNA, BRUSSELS = "Asia/Baku", "Europe/Vienna", "Europe/Brussels"
AZ, RU, EN, FR = Language.AZ, Language.RU, Language.EN, Language.FR

PEOPLE = [
    DemoPerson("Leyla Məmmədova", "leyla.mammadova@migration.example.org", SMS, "Head of Integration Policy Division", AZ, BAKU, True),
    DemoPerson("Elvin Hüseynov", "elvin.huseynov@migration.example.org", SMS, "Senior Adviser, International Cooperation", EN, BAKU, True),
    DemoPerson("Rəşad Əliyev", "rashad.aliyev@interior.example.org", INTERIOR, "Deputy Head, Legal Department", AZ, BAKU),
    DemoPerson("Aysel Quliyeva", "aysel.guliyeva@labour.example.org", LABOUR, "Head of Labour Migration Unit", AZ, BAKU, True),
    DemoPerson("Nigar Həsənova", "nigar.hasanova@health.example.org", HEALTH, "Public Health Specialist", RU, BAKU),
    DemoPerson("Tural Abbasov", "tural.abbasov@education.example.org", EDUCATION, "Adviser, Language Programmes", AZ, BAKU),
    DemoPerson("Günay İsmayılova", "gunay.ismayilova@employment.example.org", EMPLOYMENT, "Head of Job Placement Services", AZ, BAKU, True),  # noqa: RUF001 - Azerbaijani has a dotless i
    DemoPerson("Orxan Babayev", "orkhan.babayev@social.example.org", SOCIAL, "Director", AZ, BAKU),
    DemoPerson("Claire Dubois", "claire.dubois@eudelegation.example.org", EU_DELEGATION, "Programme Manager, Migration and Mobility", FR, BAKU),
    DemoPerson("Sevda Rzayeva", "sevda.rzayeva@icmpd.example.org", BAKU_OFFICE, "Project Officer", EN, BAKU, True),
    DemoPerson("Marc Lefèvre", "marc.lefevre@icmpd.example.org", MIEUX, "Programme Manager", FR, BRUSSELS, True),
    DemoPerson("Sophie Laurent", "sophie.laurent@icmpd.example.org", MIEUX, "Integration Expert (facilitator)", FR, BRUSSELS, True),
    DemoPerson("Anna Gruber", "anna.gruber@icmpd.example.org", MOBILAZE, "Project Coordinator", EN, VIENNA, True),
    DemoPerson("Thomas Berger", "thomas.berger@icmpd.example.org", MOBILAZE, "Training Specialist", EN, VIENNA),
    DemoPerson("Irina Petrova", "irina.petrova@legalaid.example.org", LEGAL_AID, "Lawyer", RU, BAKU),
    DemoPerson("Kamala Nəsirova", "kamala.nasirova@migrantsupport.example.org", NGO, "Programme Coordinator", AZ, BAKU),
    DemoPerson("Dmitri Volkov", "dmitri.volkov@caspianbuild.example.org", CONSTRUCTION, "HR Director", RU, BAKU),
    DemoPerson("Fərid Kərimov", "farid.karimov@employers.example.org", EMPLOYERS, "Policy Officer", AZ, BAKU),
    DemoPerson("Kamran Nəsibov", "kamran.nasibov@university.example.org", UNIVERSITY, "Research Fellow", EN, BAKU),
]  # fmt: skip

WORKING_GROUP = directory.GroupCreate(
    name="Strategy working group",
    description="Drafts the migrant integration strategy and action plan and answers the comments.",
)

CONSULTATION = events.ConsultationCreate(
    title="Migrant integration strategy 2026-2030",
    description=(
        "Azerbaijan's first strategy and action plan for the integration of migrants, written by the "
        "State Migration Service with the EU-funded MIEUX+ programme and the MOBILAZE 2 project. "
        "Target groups: migrant workers, family members joining relatives, returning and readmitted "
        "nationals, refugees and asylum seekers."
    ),
)

LAUNCH_DAY = dt.date(2027, 3, 16)


def _baku(hour: int, minute: int = 0) -> dt.datetime:
    """Wall-clock time in Baku on the launch day; the event service reads it in the event's zone."""
    return dt.datetime.combine(LAUNCH_DAY, dt.time(hour, minute))


def launch_event(consultation: Consultation) -> events.EventCreate:
    return events.EventCreate(
        consultation_id=consultation.id,
        kind=EventKind.LAUNCH,
        format=EventFormat.IN_PERSON,
        title="Launch of the migrant integration strategy",
        description="Launch of the consultation with the institutions, agencies, social services, "
        "NGOs and private-sector bodies concerned.",
        timezone=BAKU,
        starts_at=_baku(9, 30),
        ends_at=_baku(16, 30),
        location="State Migration Service, conference hall, Baku",
        capacity=60,
        agenda=[
            events.AgendaItemIn(starts_at=_baku(9, 30), title="Welcome and opening", speaker=SMS),
            events.AgendaItemIn(
                starts_at=_baku(10), title="Overview of the projects in the region", speaker=MIEUX
            ),
            events.AgendaItemIn(
                starts_at=_baku(11, 30),
                title="Assessment of the capacities and needs of the institutions involved",
            ),
            events.AgendaItemIn(starts_at=_baku(14), title="Goals and pillars of the strategy"),
            events.AgendaItemIn(
                starts_at=_baku(15, 45), title="Next steps: virtual round tables and comment rounds"
            ),
        ],
    )


async def _load_directory(session: AsyncSession, created: Counter[str]) -> None:
    organisations = OrganisationService(session)
    organisation_ids: dict[str, UUID] = {}
    for data in ORGANISATIONS:
        organisation = await organisations.find_by_name(data.name)
        if organisation is None:
            organisation = await organisations.create(data)
            created["organisations"] += 1
        organisation_ids[data.name] = organisation.id

    people = PersonService(session)
    working_group: list[UUID] = []
    for demo in PEOPLE:
        person = await session.scalar(select(Person).where(Person.email == demo.email))
        if person is None:
            person = await people.create(
                directory.PersonCreate(
                    full_name=demo.full_name,
                    email=demo.email,
                    organisation_id=organisation_ids[demo.organisation],
                    position=demo.position,
                    language=demo.language,
                    timezone=demo.timezone,
                )
            )
            created["people"] += 1
        if demo.in_working_group:
            working_group.append(person.id)

    groups = GroupService(session)
    group = await session.scalar(select(PersonGroup).where(PersonGroup.name == WORKING_GROUP.name))
    if group is None:
        group = await groups.create(WORKING_GROUP)
        created["groups"] += 1
    await groups.add_members(group.id, working_group)  # adds only the missing members


async def _load_events(session: AsyncSession, settings: Settings, created: Counter[str]) -> None:
    consultation = await session.scalar(select(Consultation).where(Consultation.title == CONSULTATION.title))
    if consultation is None:
        consultation = await ConsultationService(session).create(CONSULTATION)
        created["consultations"] += 1
    launch = launch_event(consultation)
    existing = await session.scalar(
        select(Event.id).where(Event.consultation_id == consultation.id, Event.title == launch.title)
    )
    if existing is None:
        existing = (await EventService(session).create(launch)).id
        created["events"] += 1
    # Everyone in the directory is invited to the launch; people invited before get nothing new.
    everyone = list((await session.scalars(select(Person.id))).all())
    invited = await InvitationService(session, settings).invite(
        existing, InviteRequest(person_ids=everyone, role=InvitationRole.PARTICIPANT)
    )
    if invited.created_count:
        created["invitations"] += invited.created_count


async def _load(settings: Settings) -> Counter[str]:
    engine = create_api_engine(settings)
    created: Counter[str] = Counter()
    try:
        async with async_session_factory(engine).begin() as session:
            await _load_directory(session, created)
            await _load_events(session, settings, created)
        dispatch(committed_ids(session))  # the invitation emails, once the rows are committed
    finally:
        await engine.dispose()
    return created


def load(settings: Settings) -> Counter[str]:
    """Creates the demo rows that are missing, in one transaction; returns how many of each kind."""
    return asyncio.run(_load(settings))


def describe(created: Counter[str]) -> str:
    total = (
        f"{len(ORGANISATIONS)} organisations, {len(PEOPLE)} people, 1 group ({WORKING_GROUP.name!r}), "
        f"1 consultation ({CONSULTATION.title!r}) with its launch event in Baku, to which everyone is invited"
    )
    if not created:
        return f"Demo data already present: {total}."
    new = ", ".join(f"{count} {kind}" for kind, count in sorted(created.items()))
    return f"Demo data loaded ({new} new): {total}."
