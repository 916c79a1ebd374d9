"""Minutes of events: each point said at a round table enters a comment round as a comment (source
``round_table``, with the event), written through the rounds' own writing service so it keeps every
rule a comment keeps. Staff record them after the event, so a closed round takes them too; staff
correct them (the earlier text kept as a revision) or withdraw them.

Who a point is attributed to: a person (named), an organisation (its position, the organisation
shown), or a person speaking for their organisation (named, on its behalf). A comment needs a
person as author: for an organisation alone it is one of its people, preferably one invited to the
event, though only the organisation is shown to participants and in exports.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consult.crud import patch_fields
from consult.directory.models import Organisation, Person
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.errors import Conflict, FieldError, Invalid, NotFound
from consult.events.hooks import AgendaSections, EventHooks
from consult.events.models import Event, EventKind, EventStatus
from consult.events.timing import in_zone
from consult.invitations.models import Invitation
from consult.minutes import schemas
from consult.rounds.listing import ListingService
from consult.rounds.models import IDEMPOTENCY_KEY_LENGTH, Attribution, Comment, CommentRound, CommentSource
from consult.rounds.schemas import CommentCreate
from consult.rounds.service import ActingService
from consult.rounds.writing import WritingService
from consult.settings import Settings


def source_label(kind: EventKind, date: dt.date) -> str:
    """How a comment from an event's minutes names its source: "round table, 8 April 2027"."""
    return f"{kind.value.replace('_', ' ')}, {date.day} {date:%B} {date.year}"


def event_date(event: Event) -> dt.date:
    """The event's day where it takes place."""
    return in_zone(event.starts_at, event.timezone).date()


# Room in the comments' key column for the prefix and the point's index.
MAX_KEY_LENGTH = IDEMPOTENCY_KEY_LENGTH - len("minutes::000")


def _point_key(idempotency_key: str, index: str) -> str:
    """The key stored on each point of minutes sent with an ``Idempotency-Key``."""
    return f"minutes:{idempotency_key}:{index}"


def _prefixed(error: Invalid, prefix: str) -> Invalid:
    """A comment rule's problem, naming the field inside the point that broke it."""
    errors = [FieldError(f"{prefix}.{e.field}", e.reason) for e in error.errors]
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors) or error.detail, errors=errors)


class MinutesService(ActingService):
    async def _event(self, event_id: UUID) -> Event:
        event = await self.session.get(Event, event_id)
        if event is None:
            raise NotFound(f"event {event_id} does not exist")
        return event

    async def _round(self, event: Event, round_id: UUID) -> CommentRound:
        """The round the points join: one on a draft of the event's consultation."""
        found = (
            await self.session.execute(
                select(CommentRound, Document.consultation_id)
                .join(DocumentVersion, DocumentVersion.id == CommentRound.document_version_id)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(CommentRound.id == round_id)
            )
        ).one_or_none()
        if found is None:
            raise Invalid.field("round_id", f"comment round {round_id} does not exist")
        round_, consultation_id = found
        if consultation_id != event.consultation_id:
            raise Invalid.field(
                "round_id", "the round is on a draft of another consultation than the event's"
            )
        return round_

    async def record(
        self, event_id: UUID, data: schemas.MinutesIn, idempotency_key: str | None = None
    ) -> tuple[Event, list[Comment], bool]:
        """All the points, or none: the first one refused refuses the request. With a key, the
        minutes sent with it before are the answer (whether they are new is the last item): a retry
        after a lost answer records nothing twice, also when both requests arrive at once (the
        comments' unique (author, key) lets one through)."""
        event = await self._event(event_id)
        if event.status is EventStatus.CANCELLED:
            raise Conflict("the event was cancelled; it has no minutes")
        if event.starts_at > dt.datetime.now(dt.UTC):
            raise Conflict(f"the event has not begun yet: it starts at {event.starts_at.isoformat()}")
        round_ = await self._round(event, data.round_id)
        if idempotency_key is None:
            return event, await self._record_points(event, round_, data, None), True
        earlier = await self._sent_with(event, idempotency_key)
        if earlier:
            return event, earlier, False
        try:
            async with self.session.begin_nested():
                return event, await self._record_points(event, round_, data, idempotency_key), True
        except IntegrityError:
            earlier = await self._sent_with(event, idempotency_key)
            if not earlier:
                raise
            return event, earlier, False

    async def _sent_with(self, event: Event, idempotency_key: str) -> list[Comment]:
        return list(
            await self.session.scalars(
                select(Comment)
                .where(
                    Comment.event_id == event.id,
                    Comment.idempotency_key.startswith(_point_key(idempotency_key, ""), autoescape=True),
                )
                .order_by(Comment.created_at, Comment.id)
            )
        )

    async def _record_points(
        self, event: Event, round_: CommentRound, data: schemas.MinutesIn, idempotency_key: str | None
    ) -> list[Comment]:
        writer = WritingService(self.session, self.settings, self.principal)
        comments = []
        for index, point in enumerate(data.points):
            prefix = f"points[{index}]"
            speaker, organisation_id = await self._speaker(event, point, prefix)
            attribution = Attribution.NAMED if point.person_id else Attribution.ORGANISATION
            comment = CommentCreate(
                body=point.text,
                kind=point.kind,
                section_key=point.section_key,
                proposed_text=point.proposed_text,
                attribution=attribution,
            )
            key = None if idempotency_key is None else _point_key(idempotency_key, str(index))
            try:
                comments.append(
                    await writer.record(
                        round_,
                        speaker,
                        comment,
                        organisation_id,
                        CommentSource.ROUND_TABLE,
                        event.id,
                        idempotency_key=key,
                    )
                )
            except Invalid as error:
                raise _prefixed(error, prefix) from error
        return comments

    async def _speaker(self, event: Event, point: schemas.PointIn, prefix: str) -> tuple[Person, UUID | None]:
        """The comment's author, and the organisation it speaks for."""
        if point.person_id is None and point.organisation_id is None:
            raise Invalid.field(f"{prefix}.organisation_id", "name the organisation or the person who spoke")
        if (
            point.organisation_id is not None
            and await self.session.get(Organisation, point.organisation_id) is None
        ):
            raise Invalid.field(
                f"{prefix}.organisation_id", f"organisation {point.organisation_id} does not exist"
            )
        if point.person_id is not None:
            person = await self.session.get(Person, point.person_id)
            if person is None or person.erased_at is not None:
                raise Invalid.field(f"{prefix}.person_id", f"person {point.person_id} does not exist")
            if point.organisation_id is not None and point.organisation_id != person.organisation_id:
                raise Invalid.field(
                    f"{prefix}.organisation_id",
                    "the person does not belong to that organisation in the directory",
                )
            return person, point.organisation_id
        assert point.organisation_id is not None
        invited = select(Invitation.person_id).where(
            Invitation.event_id == event.id, Invitation.withdrawn_at.is_(None)
        )
        person = await self.session.scalar(
            select(Person)
            .where(Person.organisation_id == point.organisation_id, Person.erased_at.is_(None))
            .order_by(Person.id.in_(invited).desc(), Person.full_name, Person.id)
            .limit(1)
        )
        if person is None:
            raise Invalid.field(
                f"{prefix}.organisation_id",
                "the organisation has nobody in the directory to file the point under; add its representative",
            )
        return person, point.organisation_id

    async def _point(self, event_id: UUID, comment_id: UUID) -> Comment:
        comment = await self.session.get(Comment, comment_id)
        if comment is None or comment.event_id != event_id or comment.source is not CommentSource.ROUND_TABLE:
            raise NotFound(f"no point {comment_id} in the minutes of event {event_id}")
        return comment

    async def correct(self, event_id: UUID, comment_id: UUID, patch: schemas.PointPatch) -> Comment:
        comment = await self._point(event_id, comment_id)
        changes = {"body" if name == "text" else name: value for name, value in patch_fields(patch).items()}
        return await WritingService(self.session, self.settings, self.principal).correct(comment, changes)

    async def withdraw(self, event_id: UUID, comment_id: UUID) -> Comment:
        comment = await self._point(event_id, comment_id)
        return await WritingService(self.session, self.settings, self.principal).withdraw_recorded(comment)

    async def minutes(self, event: Event, comments: list[Comment] | None = None) -> schemas.MinutesOut:
        """The event's points as comments (all of them, or those given), oldest first."""
        only = None if comments is None else [comment.id for comment in comments]
        points = await ListingService(self.session, self.settings, self.principal).of_event(event.id, only)
        date = event_date(event)
        return schemas.MinutesOut(
            event_id=event.id,
            event_kind=event.kind,
            event_title=event.title,
            event_date=date,
            source_label=source_label(event.kind, date),
            points=points,
        )

    async def read(self, event_id: UUID) -> schemas.MinutesOut:
        return await self.minutes(await self._event(event_id))


async def check_agenda_sections(session: AsyncSession, _: Settings, named: AgendaSections) -> None:
    """Each agenda item names sections its draft version has, in a draft of the event's consultation
    (``EventHooks.agenda_sections``)."""
    errors: list[FieldError] = []
    for index, item in enumerate(named.agenda):
        if item.document_version_id is None:
            continue
        field = f"agenda[{index}]"
        consultation_id = await session.scalar(
            select(Document.consultation_id)
            .join(DocumentVersion, DocumentVersion.document_id == Document.id)
            .where(DocumentVersion.id == item.document_version_id)
        )
        if consultation_id != named.consultation_id:
            errors.append(
                FieldError(
                    f"{field}.document_version_id", "no such draft version in the event's consultation"
                )
            )
            continue
        known = set(
            await session.scalars(
                select(DocumentSection.key).where(
                    DocumentSection.version_id == item.document_version_id,
                    DocumentSection.key.in_(item.section_keys),
                )
            )
        )
        errors.extend(
            FieldError(f"{field}.section_keys", f"no section {key!r} in that draft version")
            for key in item.section_keys
            if key not in known
        )
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


def listen_to_agendas(hooks: EventHooks) -> None:
    """consult.app connects this: agendas name only sections that exist."""
    hooks.agenda_sections.connect(check_agenda_sections)
