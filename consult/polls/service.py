"""Scheduling polls: asking the audience of a future event which candidate times suit them, the
tally that organisers choose from, and the decision that creates the event and invites everyone.

The tally is computed by aggregate queries (a poll of 1,000 people and 10 slots is 10,000 answers);
Python only walks the slots. Answers are upserts on (invitee, slot), so two answers sent at once
from the same link leave one answer per slot.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from consult.audit.recording import Actor, act_as
from consult.crud import get_or_404, page_of
from consult.directory.audience import expand_audience
from consult.directory.models import Organisation, Person
from consult.errors import Conflict, FieldError, Invalid, NotFound
from consult.events.models import Consultation, Event
from consult.events.schemas import EventCreate
from consult.events.service import EventService, Schedule, checked_schedule
from consult.events.timing import in_zone, to_utc
from consult.invitations.schemas import InviteRequest
from consult.invitations.service import InvitationService
from consult.mail.models import EmailKind
from consult.mail.outbox import enqueue, mail_domain
from consult.pagination import PageParams
from consult.polls import schemas
from consult.polls.links import invitee_of_link
from consult.polls.models import (
    PollAnswer,
    PollAnswerValue,
    PollInvitee,
    PollRequiredOrganisation,
    PollSlot,
    PollStatus,
    SchedulingPoll,
)
from consult.settings import Settings
from consult.validation import check_timezone, check_web_url

_CAN_ATTEND = (PollAnswerValue.YES, PollAnswerValue.IF_NEED_BE)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def accepts_answers(poll: SchedulingPoll, now: dt.datetime | None = None) -> bool:
    return poll.status is PollStatus.OPEN and poll.closes_at > (now or _now())


def _slot_times(
    data: schemas.PollCreate, zone: str, now: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The slots in UTC, in the order given; refused when one has begun or two overlap."""
    length = dt.timedelta(minutes=data.duration_minutes)
    starts = [to_utc(slot.starts_at, zone, f"slots[{i}].starts_at") for i, slot in enumerate(data.slots)]
    errors = [
        FieldError(f"slots[{i}].starts_at", "is in the past")
        for i, start in enumerate(starts)
        if start <= now
    ]
    ordered = sorted(range(len(starts)), key=lambda i: starts[i])
    for before, after in itertools.pairwise(ordered):
        if starts[after] < starts[before] + length:
            errors.append(
                FieldError(
                    f"slots[{after}].starts_at",
                    f"overlaps slots[{before}] (each slot lasts {data.duration_minutes} minutes)",
                )
            )
    if errors:
        raise Invalid("some slots cannot be offered", errors=errors)
    return [(start, start + length) for start in starts]


def _upsert(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT in the session's dialect (PostgreSQL, or SQLite for `consult dev`)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class PollService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.domain = mail_domain(settings.mail.from_address)

    # --- creating ----------------------------------------------------------------------------------

    async def create(self, consultation_id: UUID, data: schemas.PollCreate) -> SchedulingPoll:
        """Everything is checked before anything is written: a refused poll leaves no row and no email."""
        await get_or_404(self.session, Consultation, consultation_id, "consultation")
        now = _now()
        zone = check_timezone(data.timezone)
        times = _slot_times(data, zone, now)
        first_start, first_end = min(times)
        schedule = checked_schedule(
            Schedule(
                timezone=zone,
                starts_at=first_start,
                ends_at=first_end,
                format=data.format,
                location=data.location,
                online_url=check_web_url(data.online_url, "online_url"),
            )
        )
        closes_at = to_utc(data.closes_at, zone, "closes_at")
        if closes_at <= now:
            raise Invalid.field("closes_at", "is in the past")
        if closes_at > first_start:
            raise Invalid.field("closes_at", "must be no later than the first slot begins")
        person_ids = await expand_audience(self.session, data)
        required = await self._required_organisations(data.required_organisation_ids, person_ids)
        poll = SchedulingPoll(
            consultation_id=consultation_id,
            title=data.title.strip(),
            description=data.description,
            kind=data.kind,
            format=schedule.format,
            timezone=zone,
            duration_minutes=data.duration_minutes,
            location=schedule.location,
            online_url=schedule.online_url,
            capacity=data.capacity,
            closes_at=closes_at,
            slots=[PollSlot(starts_at=start, ends_at=end) for start, end in sorted(times)],
        )
        self.session.add(poll)
        await self.session.flush()
        self.session.add_all(
            PollRequiredOrganisation(poll_id=poll.id, organisation_id=org_id) for org_id in required
        )
        invitees = [PollInvitee(poll_id=poll.id, person_id=person_id) for person_id in person_ids]
        self.session.add_all(invitees)
        await self.session.flush()
        for invitee in invitees:
            row = self._email(invitee, poll, EmailKind.POLL_INVITATION)
            invitee.thread_message_id = row.message_id
        await self.session.flush()
        return poll

    async def _required_organisations(self, ids: list[UUID], person_ids: list[UUID]) -> list[UUID]:
        """Known organisations with someone in the audience: a required organisation nobody is
        asked about could never be counted as able to attend."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        known = set(
            (await self.session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted)))).all()
        )
        asked = set(
            (
                await self.session.scalars(
                    select(Person.organisation_id).where(
                        Person.id.in_(person_ids), Person.organisation_id.in_(wanted)
                    )
                )
            ).all()
        )
        errors = [
            FieldError("required_organisation_ids", f"unknown organisation {org}")
            if org not in known
            else FieldError("required_organisation_ids", f"nobody of organisation {org} is in the audience")
            for org in wanted
            if org not in asked
        ]
        if errors:
            raise Invalid("some required organisations cannot be asked", errors=errors)
        return wanted

    def _email(self, invitee: PollInvitee, poll: SchedulingPoll, kind: EmailKind) -> Any:
        return enqueue(
            self.session,
            kind=kind,
            person_id=invitee.person_id,
            domain=self.domain,
            context={"poll_id": str(poll.id)},
            in_reply_to=invitee.thread_message_id,
        )

    # --- reading -----------------------------------------------------------------------------------

    async def list(self, consultation_id: UUID, page: PageParams) -> tuple[list[SchedulingPoll], int]:
        """The consultation's polls, the newest first."""
        await get_or_404(self.session, Consultation, consultation_id, "consultation")
        stmt = (
            select(SchedulingPoll)
            .where(SchedulingPoll.consultation_id == consultation_id)
            .order_by(SchedulingPoll.created_at.desc(), SchedulingPoll.id)
        )
        return await page_of(self.session, stmt, page)

    async def get(self, poll_id: UUID) -> SchedulingPoll:
        return await get_or_404(self.session, SchedulingPoll, poll_id, "scheduling poll")

    async def tally(self, poll: SchedulingPoll) -> schemas.PollOut:
        """The poll with each slot's counts, the organisations that can attend it (by kind) and the
        required ones it loses; best slots first."""
        counts = await self._answer_counts(poll)
        invited, answered = (
            await self.session.execute(
                select(func.count(), func.count(PollInvitee.answered_at)).where(
                    PollInvitee.poll_id == poll.id
                )
            )
        ).one()
        kinds: dict[UUID, dict[str, list[schemas.OrganisationBrief]]] = defaultdict(dict)
        for slot_id, org_id, name, kind in await self.session.execute(
            self._organisations_that_can_attend(poll)
        ):
            kinds[slot_id].setdefault(kind.value, []).append(schemas.OrganisationBrief(org_id, name, kind))
        required = {
            org.id: schemas.OrganisationBrief(id=org.id, name=org.name, kind=org.kind)
            for org in await self.session.scalars(
                select(Organisation)
                .join(PollRequiredOrganisation, PollRequiredOrganisation.organisation_id == Organisation.id)
                .where(PollRequiredOrganisation.poll_id == poll.id)
                .order_by(Organisation.name)
            )
        }
        required_can: dict[tuple[UUID, UUID], bool] = {
            (slot_id, org_id): bool(can)
            for slot_id, org_id, can in await self.session.execute(self._required_answers(poll))
        }
        tallies = []
        for slot in poll.slots:
            yes, if_need_be, no = counts.get(slot.id, (0, 0, 0))
            cannot = [org for org_id, org in required.items() if required_can.get((slot.id, org_id)) is False]
            silent = [org for org_id, org in required.items() if (slot.id, org_id) not in required_can]
            tallies.append(
                schemas.SlotTally(
                    id=slot.id,
                    rank=0,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    starts_at_local=in_zone(slot.starts_at, poll.timezone).isoformat(),
                    ends_at_local=in_zone(slot.ends_at, poll.timezone).isoformat(),
                    counts=schemas.AnswerCounts(
                        yes=yes, if_need_be=if_need_be, no=no, no_answer=invited - yes - if_need_be - no
                    ),
                    organisations_can_attend=kinds[slot.id],
                    required_cannot=cannot,
                    required_not_answered=silent,
                )
            )
        tallies.sort(
            key=lambda t: (
                len(t.required_cannot),
                len(t.required_not_answered),
                -(t.counts.yes + t.counts.if_need_be),
                -t.counts.yes,
                t.starts_at,
            )
        )
        for rank, tally in enumerate(tallies, start=1):
            tally.rank = rank
        return schemas.PollOut(
            id=poll.id,
            consultation_id=poll.consultation_id,
            title=poll.title,
            description=poll.description,
            kind=poll.kind,
            format=poll.format,
            timezone=poll.timezone,
            duration_minutes=poll.duration_minutes,
            location=poll.location,
            online_url=poll.online_url,
            capacity=poll.capacity,
            closes_at=poll.closes_at,
            status=poll.status,
            accepting_answers=accepts_answers(poll),
            invitee_count=invited,
            answered_count=answered,
            required_organisations=list(required.values()),
            decided_slot_id=poll.decided_slot_id,
            event_id=poll.event_id,
            decided_at=poll.decided_at,
            slots=tallies,
            created_at=poll.created_at,
        )

    async def _answer_counts(self, poll: SchedulingPoll) -> dict[UUID, tuple[int, int, int]]:
        def answered(value: PollAnswerValue) -> Any:
            return func.count(PollAnswer.id).filter(PollAnswer.answer == value)

        rows = await self.session.execute(
            select(
                PollSlot.id,
                answered(PollAnswerValue.YES),
                answered(PollAnswerValue.IF_NEED_BE),
                answered(PollAnswerValue.NO),
            )
            .outerjoin(PollAnswer, PollAnswer.slot_id == PollSlot.id)
            .where(PollSlot.poll_id == poll.id)
            .group_by(PollSlot.id)
        )
        return {slot_id: (yes, maybe, no) for slot_id, yes, maybe, no in rows}

    @staticmethod
    def _answers_with_organisation(poll: SchedulingPoll) -> Select[UUID, PollAnswerValue, UUID | None]:
        return (
            select(PollAnswer.slot_id, PollAnswer.answer, Person.organisation_id)
            .join(PollInvitee, PollInvitee.id == PollAnswer.invitee_id)
            .join(Person, Person.id == PollInvitee.person_id)
            .where(PollInvitee.poll_id == poll.id, Person.organisation_id.is_not(None))
        )

    def _organisations_that_can_attend(self, poll: SchedulingPoll) -> Select[Any]:
        # The distinct (slot, organisation) pairs (a hash aggregate over the answers): at most slots x
        # organisations rows leave the database, whatever the number of answers.
        pairs = (
            self._answers_with_organisation(poll)
            .with_only_columns(PollAnswer.slot_id, Person.organisation_id)
            .where(PollAnswer.answer.in_(_CAN_ATTEND))
            .group_by(PollAnswer.slot_id, Person.organisation_id)
            .subquery()
        )
        return (
            select(pairs.c.slot_id, Organisation.id, Organisation.name, Organisation.kind)
            .join(Organisation, Organisation.id == pairs.c.organisation_id)
            .order_by(Organisation.kind, Organisation.name)
        )

    def _required_answers(self, poll: SchedulingPoll) -> Select[Any]:
        """Per slot and required organisation that answered: whether anyone of it can attend."""
        answers = (
            self._answers_with_organisation(poll)
            .join(
                PollRequiredOrganisation,
                (PollRequiredOrganisation.organisation_id == Person.organisation_id)
                & (PollRequiredOrganisation.poll_id == poll.id),
            )
            .subquery()
        )
        can = func.max(case((answers.c.answer.in_(_CAN_ATTEND), 1), else_=0))
        return select(answers.c.slot_id, answers.c.organisation_id, can).group_by(
            answers.c.slot_id, answers.c.organisation_id
        )

    # --- answering ---------------------------------------------------------------------------------

    async def by_token(self, token: str) -> PollInvitee:
        invitee = await invitee_of_link(self.session, token)
        if invitee is None:
            raise NotFound("this link is unknown or has expired")
        return invitee

    async def answers_of(self, invitee: PollInvitee) -> dict[UUID, PollAnswerValue]:
        rows = await self.session.execute(
            select(PollAnswer.slot_id, PollAnswer.answer).where(PollAnswer.invitee_id == invitee.id)
        )
        return dict(rows.tuples().all())

    async def answer(self, invitee: PollInvitee, answers: dict[UUID, PollAnswerValue]) -> None:
        """Record the invitee's answer for every slot of the poll (changing earlier ones), while it
        takes answers. A slot left out, or one of another poll, refuses the whole answer."""
        act_as(self.session, Actor.stakeholder(invitee.person_id))  # the link's holder answers
        # A shared lock: a decision (which takes it exclusively) waits for answers in flight, and an
        # answer that comes after the decision sees it.
        poll = await self.session.scalar(
            select(SchedulingPoll)
            .where(SchedulingPoll.id == invitee.poll_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        if poll is None or not accepts_answers(poll):
            raise Conflict("the poll is closed")
        slot_ids = [slot.id for slot in poll.slots]
        errors = [
            FieldError(str(slot_id), "choose an answer") for slot_id in slot_ids if slot_id not in answers
        ]
        errors += [
            FieldError(str(slot_id), "not a slot of this poll")
            for slot_id in answers
            if slot_id not in slot_ids
        ]
        if errors:
            raise Invalid("answer every slot of the poll", errors=errors)
        now = _now()
        insert = _upsert(self.session)(PollAnswer).values(
            [
                {
                    "id": uuid7(),
                    "invitee_id": invitee.id,
                    "slot_id": slot_id,
                    "answer": answers[slot_id],
                    "created_at": now,
                    "updated_at": now,
                }
                for slot_id in slot_ids
            ]
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["invitee_id", "slot_id"],
                set_={"answer": insert.excluded.answer, "updated_at": now},
            )
        )
        invitee.answered_at = now
        await self.session.flush()

    # --- deciding ----------------------------------------------------------------------------------

    async def decide(self, poll_id: UUID, slot_id: UUID) -> SchedulingPoll:
        """Create the event at the chosen slot with the poll's settings, invite everyone the poll
        asked (through the invitations service, as the API does), close the poll and tell those who
        answered. Once only: a second decision is a conflict."""
        poll = await self.session.scalar(
            select(SchedulingPoll)
            .where(SchedulingPoll.id == poll_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if poll is None:
            raise NotFound(f"scheduling poll {poll_id} does not exist")
        if poll.status is PollStatus.DECIDED:
            raise Conflict(f"the poll is already decided: event {poll.event_id}")
        slot = next((s for s in poll.slots if s.id == slot_id), None)
        if slot is None:
            raise Invalid.field("slot_id", f"slot {slot_id} is not one of this poll's slots")
        if slot.starts_at <= _now():
            raise Invalid.field("slot_id", "this slot has already begun")
        event: Event = await EventService(self.session).create(
            EventCreate(
                consultation_id=poll.consultation_id,
                kind=poll.kind,
                format=poll.format,
                title=poll.title,
                timezone=poll.timezone,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                description=poll.description,
                location=poll.location,
                online_url=poll.online_url,
                capacity=poll.capacity,
            )
        )
        invitees = (
            await self.session.scalars(
                select(PollInvitee).where(PollInvitee.poll_id == poll.id).order_by(PollInvitee.created_at)
            )
        ).all()
        await InvitationService(self.session, self.settings).invite(
            event.id, InviteRequest(person_ids=[i.person_id for i in invitees])
        )
        poll.status = PollStatus.DECIDED
        poll.decided_at = _now()
        poll.decided_slot_id = slot.id
        poll.event_id = event.id
        for invitee in invitees:
            if invitee.answered_at is not None:
                self._email(invitee, poll, EmailKind.POLL_DECIDED)
        await self.session.flush()
        return poll
