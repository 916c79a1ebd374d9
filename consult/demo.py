"""Sample data from the scenario (Azerbaijan's migrant integration strategy) for `consult demo` and
`consult dev --demo`.

Loading is idempotent: rows are matched by their natural keys (organisation and group names, email
addresses, consultation, event, document, round and questionnaire titles, version numbers), existing
ones are left as they are and only missing ones are created, through the same services the API uses.
The round's comments are written with the round and the questionnaire's answers with the
questionnaire, so a round or questionnaire already there gets none.
"""

# ruff: noqa: RUF001 - Azerbaijani has a dotless i, Russian has Cyrillic letters that look Latin

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.models import Role, StaffUser
from consult.auth.principals import StaffPrincipal, StakeholderPrincipal
from consult.db import async_session_factory, create_api_engine
from consult.directory import schemas as directory
from consult.directory.models import Language, OrganisationKind, Person, PersonGroup
from consult.directory.service import GroupService, OrganisationService, PersonService
from consult.drafts import schemas as drafts
from consult.drafts.fixtures import strategy_docx, strategy_markdown
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.drafts.service import DocumentService, VersionService
from consult.events import schemas as events
from consult.events.models import Consultation, Event, EventFormat, EventKind
from consult.events.service import ConsultationService, EventService
from consult.invitations.models import InvitationRole
from consult.invitations.schemas import InviteRequest
from consult.invitations.service import InvitationService
from consult.questionnaires import schemas as q
from consult.questionnaires.models import Mode, Questionnaire, QuestionnaireInvitee, ResponseAttribution
from consult.questionnaires.service import QuestionnaireService, ResponseService
from consult.rounds import schemas as rounds
from consult.rounds.answers import AnswerService
from consult.rounds.models import Attribution, CommentKind, CommentRound, Decision, RoundVisibility
from consult.rounds.service import RoundService
from consult.rounds.writing import WritingService
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
    DemoPerson("Günay İsmayılova", "gunay.ismayilova@employment.example.org", EMPLOYMENT, "Head of Job Placement Services", AZ, BAKU, True),
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


DOCUMENT_TITLE = "Strategy for the integration of migrants 2026-2030"
ROUND_TITLE = "First comment round on the draft strategy"
ROUND_DAYS = 21
FACILITATOR = "sophie.laurent@icmpd.example.org"  # also a staff user: she answers the comments
# Invited to the round besides the working group: everyone working at these organisations.
ROUND_ORGANISATIONS = [EU_DELEGATION, HEALTH, NGO, LEGAL_AID, EMPLOYERS, CONSTRUCTION, UNIVERSITY]


@dataclass(frozen=True)
class DemoResponse:
    decision: Decision
    rationale: str
    taken_up: bool = False  # taken up in version 2, in the same section


@dataclass(frozen=True)
class DemoComment:
    author: str  # email
    section: str | None  # section number in version 1; None: the whole draft
    body: str
    kind: CommentKind = CommentKind.COMMENT
    quote: str | None = None
    proposed_text: str | None = None
    attribution: Attribution = Attribution.NAMED
    on_behalf: bool = False
    replies: tuple[tuple[str, str], ...] = ()  # (author email, text), each answering the one before
    response: DemoResponse | None = None


def _email(name: str) -> str:
    return next(p.email for p in PEOPLE if p.full_name == name)


COMMENTS = [
    DemoComment(
        author=_email("Claire Dubois"),
        section="1.1.3",
        quote="works in Azerbaijani, Russian and English.",
        body="Nous proposons d'ajouter le français : une partie des réfugiés et des étudiants accueillis "
        "vient d'Afrique francophone et ne parle ni l'azerbaïdjanais ni le russe.",
        response=DemoResponse(
            Decision.ACCEPTED, "French is added to the languages of the desk in version 2.", taken_up=True
        ),
    ),
    DemoComment(
        author=_email("Kamala Nəsirova"),
        section="1.1.3",
        body="Məlumat masası yalnız məşğulluq mərkəzlərində deyil, ASAN xidmət mərkəzlərində də olmalıdır: "
        "miqrantların çoxu sənədləri üçün ilk növbədə ora müraciət edir.",
        on_behalf=True,
        attribution=Attribution.ORGANISATION,
        replies=(
            (
                _email("Günay İsmayılova"),
                "Razıyıq. Dövlət Məşğulluq Agentliyi həftədə bir gün ASAN mərkəzlərində məsləhətçi "
                "saxlaya bilər.",
            ),
            (_email("Kamala Nəsirova"), "Çox yaxşı, Sumqayıt və Gəncə mərkəzlərindən başlamaq olar."),
        ),
        response=DemoResponse(
            Decision.ACCEPTED,
            "Version 2: the desk is also present once a week in the ASAN service centres.",
            taken_up=True,
        ),
    ),
    DemoComment(
        author=_email("Dmitri Volkov"),
        section="1.2.2",
        kind=CommentKind.AMENDMENT,
        body="Проверки без предварительной информационной работы ударят по добросовестным работодателям. "
        "Предлагаем сначала провести информационные визиты.",
        proposed_text="In its first year the labour inspectorate carries out information visits with the "
        "National Confederation of Employers in construction and agriculture; inspections follow from "
        "the second year.",
        replies=(
            (
                _email("Aysel Quliyeva"),
                "Information visits are useful, but serious abuses (unpaid wages, confiscated passports) "
                "cannot wait a year.",
            ),
        ),
        response=DemoResponse(
            Decision.PARTIALLY_ACCEPTED,
            "Information visits are added to the action plan; inspections of serious abuses start at once.",
        ),
    ),
    DemoComment(
        author=_email("Nigar Həsənova"),
        section="2.3.2",
        body="Необходимо добавить урду и предусмотреть перевод также в приёмных отделениях больниц.",
        response=DemoResponse(
            Decision.ACCEPTED,
            "Version 2 extends the service to emergency departments and adds Urdu; the service is free.",
            taken_up=True,
        ),
    ),
    DemoComment(
        author=_email("Irina Petrova"),
        section="2.2.1",
        kind=CommentKind.QUESTION,
        body="Кто будет финансировать мобильные группы в регионах после окончания проектов ЕС?",
        on_behalf=True,
        replies=(
            (
                _email("Leyla Məmmədova"),
                "Mobil qruplar 2027-ci ildən Dövlət Miqrasiya Xidmətinin büdcəsindən maliyyələşdiriləcək.",
            ),
        ),
    ),
    DemoComment(
        author=_email("Kamran Nəsibov"),
        section=None,
        body="The strategy has no baseline figures. Each objective should name an indicator and a "
        "target value for 2030, so that the annual report (Action 4.2.2) can measure progress.",
        response=DemoResponse(
            Decision.NOTED,
            "Indicators and targets will be set in the action plan that goes with the strategy.",
        ),
    ),
    DemoComment(
        author=_email("Fərid Kərimov"),
        section="1.2.1",
        kind=CommentKind.QUESTION,
        body="Model əmək müqavilələri hansı dillərdə dərc olunacaq?",
        attribution=Attribution.ORGANISATION,
    ),
]


async def _load_draft(session: AsyncSession, settings: Settings, created: Counter[str]) -> DocumentVersion:
    """The strategy draft: version 1 as the ministry sends it (Word), version 2 from Markdown."""
    consultation = await session.scalar(select(Consultation).where(Consultation.title == CONSULTATION.title))
    assert consultation is not None  # loaded before
    document = await session.scalar(
        select(Document).where(Document.consultation_id == consultation.id, Document.title == DOCUMENT_TITLE)
    )
    if document is None:
        document = await DocumentService(session).create(
            drafts.DocumentCreate(consultation_id=consultation.id, title=DOCUMENT_TITLE, language=EN)
        )
        created["documents"] += 1
    versions = VersionService(session)
    have = {
        v.number
        for v in (
            await session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document.id))
        ).all()
    }
    for number, filename, content in [
        (1, "strategy_v1.docx", strategy_docx(1)),
        (2, "strategy_v2.md", strategy_markdown(2)),
    ]:
        if number not in have:
            await versions.upload(
                document.id, filename=filename, content=content, max_bytes=settings.uploads.draft_max_bytes
            )
            created["draft versions"] += 1
    return (await versions.get(document.id, 1)).version


async def _facilitator(session: AsyncSession) -> StaffPrincipal:
    user = await session.scalar(select(StaffUser).where(StaffUser.email == FACILITATOR))
    if user is None:
        user = StaffUser(email=FACILITATOR, role=Role.FACILITATOR, is_active=True)
        session.add(user)
        await session.flush()
    return StaffPrincipal(user_id=user.id, email=user.email, role=user.role)


async def _load_round(
    session: AsyncSession, settings: Settings, version: DocumentVersion, created: Counter[str]
) -> None:
    """The first comment round on version 1, open for three weeks, with comments, replies and answers.
    Loaded once: an existing round (its comments included) is left as it is."""
    existing = await session.scalar(
        select(CommentRound.id).where(
            CommentRound.document_version_id == version.id, CommentRound.title == ROUND_TITLE
        )
    )
    if existing is not None:
        return
    facilitator = await _facilitator(session)
    group = await session.scalar(select(PersonGroup.id).where(PersonGroup.name == WORKING_GROUP.name))
    organisations = OrganisationService(session)
    organisation_ids = []
    for name in ROUND_ORGANISATIONS:
        organisation = await organisations.find_by_name(name)
        assert organisation is not None
        organisation_ids.append(organisation.id)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    round_ = await RoundService(session, settings, facilitator).create(
        rounds.RoundCreate(
            document_version_id=version.id,
            title=ROUND_TITLE,
            opens_at=now - dt.timedelta(minutes=5),
            closes_at=now + dt.timedelta(days=ROUND_DAYS),
            visibility=RoundVisibility.PARTICIPANTS,
            group_ids=[group] if group else [],
            organisation_ids=organisation_ids,
        )
    )
    created["comment rounds"] += 1

    later = await session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == version.document_id, DocumentVersion.number == 2
        )
    )
    sections = {
        number: key
        for number, key in await session.execute(
            select(DocumentSection.number, DocumentSection.key).where(
                DocumentSection.version_id == version.id
            )
        )
    }
    people = {email: person_id for email, person_id in await session.execute(select(Person.email, Person.id))}
    answers = AnswerService(session, settings, facilitator)
    for demo in COMMENTS:
        author = WritingService(session, settings, StakeholderPrincipal(people[demo.author], round_.id))
        comment = await author.create(
            round_.id,
            rounds.CommentCreate(
                body=demo.body,
                kind=demo.kind,
                section_key=sections[demo.section] if demo.section else None,
                quote=demo.quote,
                proposed_text=demo.proposed_text,
                on_behalf_of_organisation=demo.on_behalf,
                attribution=demo.attribution,
            ),
        )
        created["comments"] += 1
        parent = comment
        for email, text in demo.replies:
            replier = WritingService(session, settings, StakeholderPrincipal(people[email], round_.id))
            parent = await replier.create(round_.id, rounds.CommentCreate(body=text, parent_id=parent.id))
            created["comments"] += 1
        if demo.response is not None:
            taken_up = demo.response.taken_up and later is not None
            await answers.respond(
                comment.id,
                rounds.ResponseIn(
                    decision=demo.response.decision,
                    rationale=demo.response.rationale,
                    taken_up_version_id=later.id if taken_up and later else None,
                    taken_up_section_key=comment.section_key if taken_up else None,
                ),
            )


QUESTIONNAIRE_NAME = "Capacity and needs assessment"
QUESTIONNAIRE_DAYS = 21
# Sent to everyone working at the institutions concerned: government bodies, agencies, social services
# and NGOs. One official answer per institution.
QUESTIONNAIRE_KINDS = (Kind.GOVERNMENT, Kind.PUBLIC_AGENCY, Kind.SOCIAL_SERVICE, Kind.NGO)
QUESTIONNAIRE_ORGANISATIONS = [o.name for o in ORGANISATIONS if o.kind in QUESTIONNAIRE_KINDS]


def _t(en: str, az: str, ru: str, fr: str) -> q.Texts:
    return q.Texts(az=az, ru=ru, en=en, fr=fr)


def _options(*options: tuple[str, q.Texts]) -> list[q.Option]:
    return [q.Option(key=key, label=label) for key, label in options]


def _decoded(definition: q.Definition) -> q.Definition:
    return msgspec.convert(msgspec.to_builtins(definition), q.Definition)


_TICK_ALL = _t(
    "Tick all that apply. Other: please specify.",
    "Uyğun olanların hamısını qeyd edin. Digər: zəhmət olmasa, dəqiqləşdirin.",
    "Отметьте все подходящие варианты. Другое: пожалуйста, уточните.",
    "Cochez toutes les réponses pertinentes. Autre : veuillez préciser.",
)

# Built from the structs for readability, then decoded as the API decodes a request body: msgspec
# checks keys, lengths and bounds only when decoding (and makes the bounds floats).
ASSESSMENT = _decoded(
    q.Definition(
        original_language=EN,
        title=_t(
            "Capacity and needs assessment",
            "Potensial və ehtiyacların qiymətləndirilməsi",
            "Оценка потенциала и потребностей",
            "Évaluation des capacités et des besoins",
        ),
        intro=_t(
            "One answer per institution, given officially on its behalf. Several colleagues can prepare it "
            "together: each saves the draft, and one submits it when it is ready. The answers inform the "
            "action plan of the migrant integration strategy.",
            "Hər qurum bir cavab verir və bu cavab rəsmi olaraq onun adından təqdim olunur. Cavabı bir neçə "
            "əməkdaş birlikdə hazırlaya bilər: hər biri qaralamanı yadda saxlayır, hazır olduqda isə onlardan "
            "biri cavabı təqdim edir. Cavablar miqrantların inteqrasiyası strategiyasının fəaliyyət planının "
            "hazırlanmasında nəzərə alınacaq.",
            "Каждое учреждение даёт один ответ, официально от своего имени. Его могут готовить вместе "
            "несколько сотрудников: каждый сохраняет черновик, а когда ответ готов, один из них его "
            "отправляет. Ответы будут учтены в плане действий стратегии интеграции мигрантов.",
            "Une seule réponse par institution, donnée officiellement en son nom. Plusieurs collègues peuvent "
            "la préparer ensemble : chacun enregistre le brouillon, et l'un d'eux la soumet lorsqu'elle est "
            "prête. Les réponses serviront à élaborer le plan d'action de la stratégie d'intégration des "
            "migrants.",
        ),
        sections=[
            q.Section(
                key="staff-services",
                title=_t(
                    "Staff and services", "Kadrlar və xidmətlər", "Персонал и услуги", "Personnel et services"
                ),
                questions=[
                    q.Question(
                        key="staff-assigned",
                        kind=q.QuestionKind.CHOICE,
                        required=True,
                        text=_t(
                            "Does your institution have staff assigned to migrant integration?",
                            "Qurumunuzda miqrantların inteqrasiyası ilə məşğul olmaq üçün əməkdaşlar təyin "
                            "olunubmu?",
                            "Есть ли в вашем учреждении сотрудники, которым поручена интеграция мигрантов?",
                            "Votre institution dispose-t-elle de personnel chargé de l'intégration des migrants ?",
                        ),
                        options=_options(
                            ("yes", _t("Yes", "Bəli", "Да", "Oui")),
                            (
                                "partly",
                                _t(
                                    "Partly: among other duties",
                                    "Qismən: digər vəzifələri ilə yanaşı",
                                    "Частично: наряду с другими обязанностями",
                                    "En partie : en plus d'autres tâches",
                                ),
                            ),
                            ("no", _t("No", "Xeyr", "Нет", "Non")),
                        ),
                    ),
                    q.Question(
                        key="staff-count",
                        kind=q.QuestionKind.NUMBER,
                        min=0,
                        max=10_000,
                        show_if=q.ShowIf(question="staff-assigned", options=["yes", "partly"]),
                        text=_t(
                            "How many staff members work on migrant integration (full-time equivalent)?",
                            "Miqrantların inteqrasiyası üzrə neçə əməkdaş çalışır (tam ştat ekvivalentində)?",
                            "Сколько сотрудников занимаются интеграцией мигрантов (в эквиваленте полной "
                            "занятости)?",
                            "Combien d'agents travaillent à l'intégration des migrants (en équivalent temps "
                            "plein) ?",
                        ),
                        help=_t(
                            "For example 2.5 for two full-time colleagues and one half-time.",
                            "Məsələn, iki tam ştatlı və bir yarımştatlı əməkdaş üçün 2,5.",
                            "Например, 2,5 — два сотрудника на полную ставку и один на полставки.",
                            "Par exemple 2,5 pour deux agents à temps plein et un à mi-temps.",
                        ),
                    ),
                    q.Question(
                        key="services",
                        kind=q.QuestionKind.MULTIPLE,
                        required=True,
                        other=True,
                        text=_t(
                            "Which services does your institution provide to migrants?",
                            "Qurumunuz miqrantlara hansı xidmətləri göstərir?",
                            "Какие услуги ваше учреждение оказывает мигрантам?",
                            "Quels services votre institution fournit-elle aux migrants ?",
                        ),
                        help=_TICK_ALL,
                        options=_options(
                            ("employment", _t("Employment", "Məşğulluq", "Трудоустройство", "Emploi")),
                            ("housing", _t("Housing", "Mənzil", "Жильё", "Logement")),
                            (
                                "health",
                                _t(
                                    "Health care",
                                    "Səhiyyə xidmətləri",
                                    "Медицинская помощь",
                                    "Soins de santé",
                                ),
                            ),
                            ("education", _t("Education", "Təhsil", "Образование", "Éducation")),
                            (
                                "language",
                                _t("Language courses", "Dil kursları", "Языковые курсы", "Cours de langue"),
                            ),
                            (
                                "legal-aid",
                                _t("Legal aid", "Hüquqi yardım", "Юридическая помощь", "Aide juridique"),
                            ),
                            (
                                "social",
                                _t("Social assistance", "Sosial yardım", "Социальная помощь", "Aide sociale"),
                            ),
                        ),
                    ),
                    q.Question(
                        key="languages",
                        kind=q.QuestionKind.SCALE,
                        required=True,
                        min=1,
                        max=5,
                        text=_t(
                            "How well can your institution serve people in languages other than Azerbaijani?",
                            "Qurumunuz insanlara Azərbaycan dilindən başqa dillərdə nə dərəcədə xidmət "
                            "göstərə bilir?",
                            "Насколько ваше учреждение способно обслуживать людей на других языках, кроме "
                            "азербайджанского?",
                            "Dans quelle mesure votre institution peut-elle servir le public dans d'autres "
                            "langues que l'azerbaïdjanais ?",
                        ),
                        min_label=_t("Not at all", "Heç cür", "Совсем не способно", "Pas du tout"),
                        max_label=_t(
                            "Fully, in the main languages of migrants",
                            "Tam şəkildə, miqrantların əsas dillərində",
                            "Полностью, на основных языках мигрантов",
                            "Pleinement, dans les principales langues des migrants",
                        ),
                    ),
                ],
            ),
            q.Section(
                key="migrants-data",
                title=_t(
                    "Migrants served and data",
                    "Xidmət göstərilən miqrantlar və məlumatlar",
                    "Обслуженные мигранты и данные о них",
                    "Migrants accueillis et données",
                ),
                questions=[
                    q.Question(
                        key="served",
                        kind=q.QuestionKind.NUMBER,
                        min=0,
                        max=1_000_000,
                        text=_t(
                            "How many migrants did your institution serve in the last 12 months?",
                            "Son 12 ayda qurumunuz neçə miqranta xidmət göstərib?",
                            "Скольких мигрантов ваше учреждение обслужило за последние 12 месяцев?",
                            "Combien de migrants votre institution a-t-elle accueillis au cours des 12 derniers "
                            "mois ?",
                        ),
                        help=_t(
                            "An estimate is enough; count each person once.",
                            "Təxmini rəqəm kifayətdir; hər şəxsi bir dəfə sayın.",
                            "Достаточно приблизительной оценки; каждого человека считайте один раз.",
                            "Une estimation suffit ; comptez chaque personne une seule fois.",
                        ),
                    ),
                    q.Question(
                        key="data",
                        kind=q.QuestionKind.MULTIPLE,
                        text=_t(
                            "Which data does your institution collect on the migrants it serves?",
                            "Qurumunuz xidmət göstərdiyi miqrantlar haqqında hansı məlumatları toplayır?",
                            "Какие данные ваше учреждение собирает об обслуживаемых мигрантах?",
                            "Quelles données votre institution recueille-t-elle sur les migrants qu'elle "
                            "accueille ?",
                        ),
                        options=_options(
                            ("nationality", _t("Nationality", "Vətəndaşlıq", "Гражданство", "Nationalité")),
                            ("sex-age", _t("Sex and age", "Cins və yaş", "Пол и возраст", "Sexe et âge")),
                            (
                                "status",
                                _t(
                                    "Residence or migration status",
                                    "Yaşayış və ya miqrasiya statusu",
                                    "Статус проживания или миграционный статус",
                                    "Statut de séjour ou migratoire",
                                ),
                            ),
                            (
                                "languages",
                                _t(
                                    "Languages spoken",
                                    "Danışdığı dillər",
                                    "Языки, которыми владеет",
                                    "Langues parlées",
                                ),
                            ),
                            (
                                "qualifications",
                                _t(
                                    "Education and qualifications",
                                    "Təhsil və ixtisas",
                                    "Образование и квалификация",
                                    "Formation et qualifications",
                                ),
                            ),
                            (
                                "employment",
                                _t(
                                    "Employment situation",
                                    "Məşğulluq vəziyyəti",
                                    "Положение в сфере занятости",
                                    "Situation d'emploi",
                                ),
                            ),
                            (
                                "none",
                                _t(
                                    "We collect no data on migrants",
                                    "Miqrantlar haqqında məlumat toplamırıq",
                                    "Мы не собираем данные о мигрантах",
                                    "Nous ne recueillons pas de données sur les migrants",
                                ),
                            ),
                        ),
                    ),
                    q.Question(
                        key="obstacles",
                        kind=q.QuestionKind.LONG_TEXT,
                        text=_t(
                            "What are the main obstacles your institution meets in serving migrants?",
                            "Miqrantlara xidmət göstərərkən qurumunuz hansı əsas maneələrlə üzləşir?",
                            "С какими основными препятствиями сталкивается ваше учреждение при обслуживании "
                            "мигрантов?",
                            "Quels sont les principaux obstacles que rencontre votre institution pour servir "
                            "les migrants ?",
                        ),
                    ),
                ],
            ),
            q.Section(
                key="cooperation-training",
                title=_t(
                    "Cooperation and training",
                    "Əməkdaşlıq və təlim",
                    "Сотрудничество и обучение",
                    "Coopération et formation",
                ),
                questions=[
                    q.Question(
                        key="cooperation",
                        kind=q.QuestionKind.MATRIX,
                        min=1,
                        max=3,
                        text=_t(
                            "How often does your institution cooperate on migrant integration with each of these?",
                            "Qurumunuz miqrantların inteqrasiyası məsələsində bunların hər biri ilə nə qədər "
                            "tez-tez əməkdaşlıq edir?",
                            "Как часто ваше учреждение сотрудничает по вопросам интеграции мигрантов с каждым "
                            "из них?",
                            "À quelle fréquence votre institution coopère-t-elle avec chacun d'eux sur "
                            "l'intégration des migrants ?",
                        ),
                        help=_t(
                            "1: never, 2: sometimes, 3: regularly.",
                            "1: heç vaxt, 2: bəzən, 3: müntəzəm olaraq.",
                            "1 — никогда, 2 — иногда, 3 — регулярно.",
                            "1 : jamais, 2 : parfois, 3 : régulièrement.",
                        ),
                        min_label=_t("Never", "Heç vaxt", "Никогда", "Jamais"),
                        max_label=_t("Regularly", "Müntəzəm olaraq", "Регулярно", "Régulièrement"),
                        rows=_options(
                            (
                                "ministries",
                                _t(
                                    "Ministries and state committees",
                                    "Nazirliklər və dövlət komitələri",
                                    "Министерства и государственные комитеты",
                                    "Ministères et comités d'État",
                                ),
                            ),
                            (
                                "agencies",
                                _t(
                                    "Public agencies",
                                    "Dövlət agentlikləri",
                                    "Государственные агентства",
                                    "Agences publiques",
                                ),
                            ),
                            (
                                "local",
                                _t(
                                    "Local executive authorities",
                                    "Yerli icra hakimiyyəti orqanları",
                                    "Местные органы исполнительной власти",
                                    "Autorités exécutives locales",
                                ),
                            ),
                            (
                                "social",
                                _t(
                                    "Social services",
                                    "Sosial xidmətlər",
                                    "Социальные службы",
                                    "Services sociaux",
                                ),
                            ),
                            ("ngos", _t("NGOs", "Qeyri-hökumət təşkilatları", "НПО", "ONG")),
                            (
                                "international",
                                _t(
                                    "International organisations",
                                    "Beynəlxalq təşkilatlar",
                                    "Международные организации",
                                    "Organisations internationales",
                                ),
                            ),
                            (
                                "employers",
                                _t(
                                    "Employers and the private sector",
                                    "İşəgötürənlər və özəl sektor",
                                    "Работодатели и частный сектор",
                                    "Employeurs et secteur privé",
                                ),
                            ),
                            (
                                "research",
                                _t(
                                    "Universities and research centres",
                                    "Universitetlər və tədqiqat mərkəzləri",
                                    "Университеты и исследовательские центры",
                                    "Universités et centres de recherche",
                                ),
                            ),
                        ),
                    ),
                    q.Question(
                        key="training",
                        kind=q.QuestionKind.MULTIPLE,
                        other=True,
                        text=_t(
                            "In which areas do your staff need training?",
                            "Əməkdaşlarınızın hansı sahələrdə təlimə ehtiyacı var?",
                            "В каких областях вашим сотрудникам необходимо обучение?",
                            "Dans quels domaines votre personnel a-t-il besoin de formation ?",
                        ),
                        help=_TICK_ALL,
                        options=_options(
                            (
                                "standards",
                                _t(
                                    "International standards of integration",
                                    "İnteqrasiya üzrə beynəlxalq standartlar",
                                    "Международные стандарты интеграции",
                                    "Normes internationales en matière d'intégration",
                                ),
                            ),
                            (
                                "law",
                                _t(
                                    "Migration law and procedures",
                                    "Miqrasiya qanunvericiliyi və prosedurları",
                                    "Миграционное законодательство и процедуры",
                                    "Droit et procédures en matière de migration",
                                ),
                            ),
                            (
                                "intercultural",
                                _t(
                                    "Intercultural communication",
                                    "Mədəniyyətlərarası ünsiyyət",
                                    "Межкультурная коммуникация",
                                    "Communication interculturelle",
                                ),
                            ),
                            (
                                "languages",
                                _t(
                                    "Foreign languages",
                                    "Xarici dillər",
                                    "Иностранные языки",
                                    "Langues étrangères",
                                ),
                            ),
                            (
                                "interpreters",
                                _t(
                                    "Working with interpreters",
                                    "Tərcüməçilərlə iş",
                                    "Работа с переводчиками",
                                    "Travail avec des interprètes",
                                ),
                            ),
                            (
                                "vulnerable",
                                _t(
                                    "Identifying vulnerable people",
                                    "Həssas vəziyyətdə olan şəxslərin müəyyən edilməsi",
                                    "Выявление лиц в уязвимом положении",
                                    "Identification des personnes vulnérables",
                                ),
                            ),
                            (
                                "data",
                                _t(
                                    "Data collection and protection",
                                    "Məlumatların toplanması və qorunması",
                                    "Сбор и защита данных",
                                    "Collecte et protection des données",
                                ),
                            ),
                        ),
                    ),
                ],
            ),
        ],
    )
)


@dataclass(frozen=True)
class DemoSave:
    person: str  # email; the save is written as them, through their invitation
    answers: dict[str, Any]  # all the answers so far (a save replaces the response's answers)
    attribution: ResponseAttribution
    submit: bool = False


# Per institution, its saves in order. The State Migration Service's official answer is drafted by
# two focal points, then submitted; the NGO's is still a draft.
ASSESSMENT_ANSWERS: dict[str, list[DemoSave]] = {}

_SMS_DRAFT: dict[str, Any] = {
    "staff-assigned": "yes",
    "staff-count": 14,
    "services": {
        "options": ["language", "legal-aid", "social"],
        "other": "Registration, residence and work permits at one desk",
    },
    "languages": 3,
    "served": 41_500,
}
ASSESSMENT_ANSWERS[SMS] = [
    DemoSave(_email("Elvin Hüseynov"), _SMS_DRAFT, ResponseAttribution.ORGANISATION),
    DemoSave(
        _email("Leyla Məmmədova"),
        {
            **_SMS_DRAFT,
            "staff-count": 16.5,  # the regional offices' integration desks counted as well
            "data": {"options": ["nationality", "sex-age", "status", "languages"]},
            "obstacles": "Regional bölmələrdə rus və ingilis dillərindən başqa dillərdə danışan əməkdaş "
            "yoxdur, tərcüməçi xidmətləri üçün isə ayrıca vəsait nəzərdə tutulmayıb. Qurumlar arasında "
            "miqrantlar haqqında məlumat mübadiləsi üçün vahid sistem olmadığından eyni şəxs bir neçə "
            "qurumda ayrı-ayrılıqda qeydiyyatdan keçir.",
            "cooperation": {
                "ministries": 3,
                "agencies": 3,
                "local": 2,
                "social": 2,
                "ngos": 2,
                "international": 3,
                "employers": 1,
                "research": 1,
            },
            "training": {"options": ["standards", "intercultural", "languages", "vulnerable"]},
        },
        ResponseAttribution.ORGANISATION,
        submit=True,
    ),
]
ASSESSMENT_ANSWERS[LABOUR] = [
    DemoSave(
        _email("Aysel Quliyeva"),
        {
            "staff-assigned": "partly",
            "staff-count": 3,
            "services": {"options": ["employment", "social"]},
            "languages": 2,
            "served": 6_400,
            "data": {"options": ["nationality", "sex-age", "qualifications", "employment"]},
            "obstacles": "Many migrant workers are employed informally and never register with us. Our "
            "job counsellors speak Azerbaijani and Russian only, and employers rarely report vacancies "
            "open to foreign workers.",
            "cooperation": {
                "ministries": 3,
                "agencies": 3,
                "local": 2,
                "social": 3,
                "ngos": 1,
                "international": 2,
                "employers": 2,
                "research": 1,
            },
            "training": {
                "options": ["law", "languages", "interpreters"],
                "other": "Recognition of foreign qualifications",
            },
        },
        ResponseAttribution.NAMED,
        submit=True,
    ),
]
ASSESSMENT_ANSWERS[NGO] = [
    DemoSave(
        _email("Kamala Nəsirova"),
        {
            "staff-assigned": "yes",
            "staff-count": 4,
            "services": {
                "options": ["housing", "language", "legal-aid", "social"],
                "other": "Psixoloji dəstək",
            },
            "languages": 4,
        },
        ResponseAttribution.ANONYMOUS,
    ),
]


async def _load_questionnaire(session: AsyncSession, settings: Settings, created: Counter[str]) -> None:
    """The capacity and needs assessment, sent to the institutions concerned and open for three
    weeks, with two official answers submitted and one draft. Loaded once: an existing questionnaire
    (its responses included) is left as it is."""
    consultation = await session.scalar(select(Consultation).where(Consultation.title == CONSULTATION.title))
    assert consultation is not None  # loaded before
    existing = await session.scalar(
        select(Questionnaire.id).where(
            Questionnaire.consultation_id == consultation.id, Questionnaire.name == QUESTIONNAIRE_NAME
        )
    )
    if existing is not None:
        return
    questionnaires = QuestionnaireService(session, settings)
    questionnaire = await questionnaires.create(
        consultation.id,
        q.QuestionnaireCreate(name=QUESTIONNAIRE_NAME, mode=Mode.PER_ORGANISATION, definition=ASSESSMENT),
    )
    created["questionnaires"] += 1
    organisations = OrganisationService(session)
    organisation_ids = []
    for name in QUESTIONNAIRE_ORGANISATIONS:
        organisation = await organisations.find_by_name(name)
        assert organisation is not None
        organisation_ids.append(organisation.id)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await questionnaires.send(
        questionnaire.id,
        q.QuestionnaireSend(
            organisation_ids=organisation_ids,
            opens_at=now - dt.timedelta(minutes=5),
            closes_at=now + dt.timedelta(days=QUESTIONNAIRE_DAYS),
        ),
    )
    invitees = {
        email: invitee
        for invitee, email in await session.execute(
            select(QuestionnaireInvitee, Person.email)
            .join(Person, Person.id == QuestionnaireInvitee.person_id)
            .where(QuestionnaireInvitee.questionnaire_id == questionnaire.id)
        )
    }
    responses = ResponseService(session, settings)
    for saves in ASSESSMENT_ANSWERS.values():
        revision = 0
        for save in saves:
            respondent = await responses.respondent(invitees[save.person], questionnaire)
            response = await responses.save(
                questionnaire,
                respondent,
                q.ResponseSave(
                    answers=save.answers, revision=revision, attribution=save.attribution, submit=save.submit
                ),
            )
            revision = response.revision
        created["questionnaire responses"] += 1


async def _load(settings: Settings) -> Counter[str]:
    engine = create_api_engine(settings)
    created: Counter[str] = Counter()
    try:
        async with async_session_factory(engine).begin() as session:
            await _load_directory(session, created)
            await _load_events(session, settings, created)
            version = await _load_draft(session, settings, created)
            await _load_round(session, settings, version, created)
            await _load_questionnaire(session, settings, created)
    finally:
        await engine.dispose()
    return created


def load(settings: Settings) -> Counter[str]:
    """Creates the demo rows that are missing, in one transaction; returns how many of each kind."""
    return asyncio.run(_load(settings))


def describe(created: Counter[str]) -> str:
    submitted = sum(saves[-1].submit for saves in ASSESSMENT_ANSWERS.values())
    total = (
        f"{len(ORGANISATIONS)} organisations, {len(PEOPLE)} people, 1 group ({WORKING_GROUP.name!r}), "
        f"1 consultation ({CONSULTATION.title!r}) with its launch event in Baku, to which everyone is invited, "
        f"the draft {DOCUMENT_TITLE!r} in 2 versions, {ROUND_TITLE!r} on version 1 "
        f"(open for {ROUND_DAYS} days) with {sum(1 + len(c.replies) for c in COMMENTS)} comments and replies, "
        f"and the questionnaire {QUESTIONNAIRE_NAME!r} (one answer per institution, open for "
        f"{QUESTIONNAIRE_DAYS} days) sent to {len(QUESTIONNAIRE_ORGANISATIONS)} institutions, with "
        f"{submitted} official answers submitted and {len(ASSESSMENT_ANSWERS) - submitted} draft"
    )
    if not created:
        return f"Demo data already present: {total}."
    new = ", ".join(f"{count} {kind}" for kind, count in sorted(created.items()))
    return f"Demo data loaded ({new} new): {total}."
