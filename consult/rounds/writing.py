"""Stakeholders writing comments: a new comment or reply, editing one's own (the earlier text is kept
as a revision) and withdrawing it, all while the round is open. Staff record comments made elsewhere
(the minutes of a round table) under the same content rules, and correct or withdraw those."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from uuid_utils.compat import uuid7

from consult.auth.principals import StaffPrincipal, StakeholderPrincipal
from consult.crud import patch_fields
from consult.directory.models import Person
from consult.drafts.models import DocumentSection
from consult.errors import Conflict, Forbidden, Invalid, NotFound
from consult.rounds import schemas
from consult.rounds.models import (
    Attribution,
    Comment,
    CommentKind,
    CommentRevision,
    CommentRound,
    CommentSource,
    ReplyNotice,
)
from consult.rounds.service import ActingService, RoundService
from consult.rounds.visibility import visible_comment


def window_conflict(round_: CommentRound, now: dt.datetime | None = None) -> Conflict | None:
    """Why the round takes no comments right now, or None while it is open."""
    now = now or dt.datetime.now(dt.UTC)
    if now < round_.opens_at:
        return Conflict(f"the comment round is not open yet: it opens at {round_.opens_at.isoformat()}")
    if now >= round_.closes_at:
        return Conflict(f"the comment round has closed: it closed at {round_.closes_at.isoformat()}")
    return None


def _require_open(round_: CommentRound) -> None:
    conflict = window_conflict(round_)
    if conflict is not None:
        raise conflict


def _quote_occurs(quote: str, section: DocumentSection) -> bool:
    return quote in section.body or quote in section.heading


class WritingService(ActingService):
    def _stakeholder(self) -> StakeholderPrincipal:
        if not isinstance(self.principal, StakeholderPrincipal):
            raise Forbidden("comments are written by invited stakeholders, with their personal link")
        return self.principal

    async def create_once(
        self, round_id: UUID, data: schemas.CommentCreate, idempotency_key: str | None
    ) -> tuple[Comment, bool]:
        """The comment, and whether it is new: a key the author sent before answers with the comment
        made then. Two requests with the same key at once both reach the insert; the unique
        (author, key) constraint lets one through and the other reads what it wrote."""
        if idempotency_key is None:
            return await self.create(round_id, data), True
        author_id = self._stakeholder().person_id
        earlier = await self._sent_with(author_id, idempotency_key)
        if earlier is not None:
            return earlier, False
        try:
            async with self.session.begin_nested():
                return await self.create(round_id, data, idempotency_key), True
        except IntegrityError:
            earlier = await self._sent_with(author_id, idempotency_key)
            if earlier is None:
                raise
            return earlier, False

    async def _sent_with(self, author_id: UUID, idempotency_key: str) -> Comment | None:
        return await self.session.scalar(
            select(Comment).where(Comment.author_id == author_id, Comment.idempotency_key == idempotency_key)
        )

    async def create(
        self,
        round_id: UUID,
        data: schemas.CommentCreate,
        idempotency_key: str | None = None,
        source: CommentSource = CommentSource.WEB,
        *,
        flush: bool = True,
    ) -> Comment:
        """A new comment or reply. ``flush=False`` leaves the insert to the next flush: an import
        writing many comments sends them together (their ids are made here, so replies can point
        at them already)."""
        author = self._stakeholder()
        round_ = await RoundService(self.session, self.settings, author).get(round_id)
        _require_open(round_)
        person = await self.session.get(Person, author.person_id)
        assert person is not None
        organisation_id = None
        if data.on_behalf_of_organisation:
            if person.organisation_id is None:
                raise Invalid.field(
                    "on_behalf_of_organisation", "you do not belong to an organisation in the directory"
                )
            organisation_id = person.organisation_id
        return await self._add(
            round_, person, data, organisation_id, source, idempotency_key=idempotency_key, flush=flush
        )

    async def record(
        self,
        round_: CommentRound,
        speaker: Person,
        data: schemas.CommentCreate,
        on_behalf_of_organisation_id: UUID | None,
        source: CommentSource,
        event_id: UUID | None = None,
        idempotency_key: str | None = None,
    ) -> Comment:
        """A comment staff record for someone who made it elsewhere (a point in the minutes of a round
        table). Staff write it after the fact, so the round may have closed; the content rules are
        those of any comment."""
        if not isinstance(self.principal, StaffPrincipal):
            raise Forbidden("only staff record comments made elsewhere")
        return await self._add(
            round_,
            speaker,
            data,
            on_behalf_of_organisation_id,
            source,
            idempotency_key=idempotency_key,
            event_id=event_id,
        )

    async def _add(
        self,
        round_: CommentRound,
        person: Person,
        data: schemas.CommentCreate,
        on_behalf_of_organisation_id: UUID | None,
        source: CommentSource,
        *,
        idempotency_key: str | None = None,
        event_id: UUID | None = None,
        flush: bool = True,
    ) -> Comment:
        section_key = data.section_key
        parent: Comment | None = None
        if data.parent_id is not None:
            parent = await visible_comment(self.session, self.principal, data.parent_id)
            if parent is None or parent.round_id != round_.id:
                raise Invalid.field("parent_id", f"no comment {data.parent_id} in this round")
            if section_key is not None and section_key != parent.section_key:
                raise Invalid.field("section_key", "a reply is on the section of the comment it answers")
            section_key = parent.section_key
        comment_id = uuid7()
        comment = Comment(
            id=comment_id,
            round_id=round_.id,
            author_id=person.id,
            thread_id=parent.thread_id if parent else comment_id,
            parent_id=parent.id if parent else None,
            section_key=section_key,
            kind=data.kind,
            body=data.body,
            quote=data.quote,
            proposed_text=data.proposed_text,
            attribution=data.attribution,
            on_behalf_of_organisation_id=on_behalf_of_organisation_id,
            source=source,
            event_id=event_id,
            idempotency_key=idempotency_key,
        )
        await self._check_content(comment, round_, person)
        self.session.add(comment)
        if parent is not None and parent.author_id != person.id:
            self.session.add(ReplyNotice(person_id=parent.author_id, comment_id=comment.id))
        if flush:
            await self.session.flush()
        return comment

    async def _check_content(self, comment: Comment, round_: CommentRound, person: Person) -> None:
        """The rules a comment must keep, when written and after every edit."""
        if comment.kind is CommentKind.AMENDMENT and not (comment.proposed_text or "").strip():
            raise Invalid.field("proposed_text", "an amendment needs the text you propose")
        if comment.attribution is Attribution.ORGANISATION and not (
            comment.on_behalf_of_organisation_id or person.organisation_id
        ):
            raise Invalid.field("attribution", "you do not belong to an organisation in the directory")
        section = None
        if comment.section_key is not None:
            section = await self._section(round_.document_version_id, comment.section_key)
            if section is None:
                raise Invalid.field("section_key", f"no section {comment.section_key!r} in this draft")
        if comment.quote is not None:
            if section is None:
                raise Invalid.field("quote", "a quote needs a section_key")
            if not comment.quote.strip() or not _quote_occurs(comment.quote, section):
                raise Invalid.field("quote", "must be an exact passage of the section's heading or text")

    async def _section(self, version_id: UUID, key: str) -> DocumentSection | None:
        """A section of a draft version. A service writing many comments (an import) reads the
        version's sections once: they never change."""
        cache: dict[UUID, dict[str, DocumentSection]] = self.__dict__.setdefault("_sections", {})
        if version_id not in cache:
            found = await self.session.scalars(
                select(DocumentSection).where(DocumentSection.version_id == version_id)
            )
            cache[version_id] = {section.key: section for section in found}
        return cache[version_id].get(key)

    async def _own_comment_in_open_round(self, comment_id: UUID) -> tuple[Comment, CommentRound]:
        author = self._stakeholder()
        comment = await visible_comment(self.session, author, comment_id)
        if comment is None:
            raise NotFound(f"comment {comment_id} does not exist")
        if comment.author_id != author.person_id:
            raise Forbidden("only the author may change a comment")
        if comment.source is CommentSource.ROUND_TABLE:
            raise Forbidden(
                "the comment was recorded in the minutes of a round table; the organisers correct it"
            )
        round_ = await RoundService(self.session, self.settings, author).get(comment.round_id)
        _require_open(round_)
        if comment.withdrawn_at is not None:
            raise Conflict("the comment has been withdrawn")
        return comment, round_

    async def update(self, comment_id: UUID, patch: schemas.CommentPatch) -> Comment:
        comment, round_ = await self._own_comment_in_open_round(comment_id)
        return await self._edit(comment, round_, patch_fields(patch))

    async def correct(self, comment: Comment, changes: dict[str, Any]) -> Comment:
        """Staff correcting a comment they recorded (``record``): the earlier text is kept as a
        revision, as for an author's edit, whether the round is open or not."""
        if not isinstance(self.principal, StaffPrincipal):
            raise Forbidden("only staff correct comments they recorded")
        if comment.withdrawn_at is not None:
            raise Conflict("the comment has been withdrawn")
        round_ = await self.session.get(CommentRound, comment.round_id)
        assert round_ is not None
        return await self._edit(comment, round_, changes)

    async def _edit(self, comment: Comment, round_: CommentRound, fields: dict[str, Any]) -> Comment:
        changes = {name: value for name, value in fields.items() if getattr(comment, name) != value}
        if not changes:
            return comment
        self.session.add(await self._revision_of(comment))
        for name, value in changes.items():
            setattr(comment, name, value)
        person = await self.session.get(Person, comment.author_id)
        assert person is not None
        await self._check_content(comment, round_, person)
        comment.edited_at = dt.datetime.now(dt.UTC)
        await self.session.flush()
        return comment

    async def _revision_of(self, comment: Comment) -> CommentRevision:
        count = await self.session.scalar(
            select(func.count()).select_from(CommentRevision).where(CommentRevision.comment_id == comment.id)
        )
        return CommentRevision(
            comment_id=comment.id,
            number=int(count or 0) + 1,
            kind=comment.kind,
            body=comment.body,
            quote=comment.quote,
            proposed_text=comment.proposed_text,
            attribution=comment.attribution,
        )

    async def withdraw(self, comment_id: UUID) -> Comment:
        comment, _ = await self._own_comment_in_open_round(comment_id)
        comment.withdrawn_at = dt.datetime.now(dt.UTC)
        await self.session.flush()
        return comment

    async def withdraw_recorded(self, comment: Comment) -> Comment:
        """Staff withdrawing a comment they recorded: it stays, for the record, out of what is shown."""
        if not isinstance(self.principal, StaffPrincipal):
            raise Forbidden("only staff withdraw comments they recorded")
        if comment.withdrawn_at is not None:
            raise Conflict("the comment has been withdrawn already")
        comment.withdrawn_at = dt.datetime.now(dt.UTC)
        await self.session.flush()
        return comment
