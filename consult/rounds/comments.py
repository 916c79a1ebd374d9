"""Comments in a round: writing, editing, withdrawing, moderating and answering them, and reading
them as a tree per section.

Stakeholders write and change their own comments while the round is open; facilitators hide,
restore and answer. Reading a page of threads costs a fixed number of queries, however many
comments and however deep the threads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from uuid_utils.compat import uuid7

from consult.auth.principals import Principal, StaffPrincipal, StakeholderPrincipal
from consult.crud import patch_fields
from consult.directory.models import Organisation, OrganisationKind, Person
from consult.drafts.models import DocumentSection, DocumentVersion
from consult.errors import Conflict, Forbidden, Invalid, NotFound
from consult.mail.models import EmailKind
from consult.mail.outbox import enqueue, mail_domain
from consult.pagination import PageParams
from consult.rounds import schemas
from consult.rounds.models import (
    Attribution,
    Comment,
    CommentKind,
    CommentRevision,
    CommentRound,
    Decision,
    ModerationAction,
    ModerationEntry,
    ReplyNotice,
    RoundVisibility,
)
from consult.rounds.service import RoundService
from consult.rounds.visibility import ShownAuthor, public_author
from consult.settings import Settings


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


@dataclass(frozen=True)
class CommentFilters:
    section_key: str | None = None
    organisation_id: UUID | None = None
    organisation_kind: OrganisationKind | None = None
    kind: CommentKind | None = None
    decision: Decision | None = None


class CommentService:
    def __init__(self, session: AsyncSession, settings: Settings, principal: Principal) -> None:
        self.session = session
        self.settings = settings
        self.principal = principal
        self.rounds = RoundService(session, settings, principal)

    # --- writing ---------------------------------------------------------------------------------

    def _stakeholder(self) -> StakeholderPrincipal:
        if not isinstance(self.principal, StakeholderPrincipal):
            raise Forbidden("comments are written by invited stakeholders, with their personal link")
        return self.principal

    async def create(self, round_id: UUID, data: schemas.CommentCreate) -> Comment:
        author = self._stakeholder()
        round_ = await self.rounds.get(round_id)
        _require_open(round_)
        person = await self.session.get(Person, author.person_id)
        assert person is not None
        section_key = data.section_key
        parent: Comment | None = None
        if data.parent_id is not None:
            parent = await self._visible_comment(data.parent_id, round_, field="parent_id")
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
        )
        if data.on_behalf_of_organisation:
            if person.organisation_id is None:
                raise Invalid.field(
                    "on_behalf_of_organisation", "you do not belong to an organisation in the directory"
                )
            comment.on_behalf_of_organisation_id = person.organisation_id
        await self._check_content(comment, round_, person)
        self.session.add(comment)
        if parent is not None and parent.author_id != person.id:
            self.session.add(ReplyNotice(person_id=parent.author_id, comment_id=comment.id))
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
            section = await self.session.scalar(
                select(DocumentSection).where(
                    DocumentSection.version_id == round_.document_version_id,
                    DocumentSection.key == comment.section_key,
                )
            )
            if section is None:
                raise Invalid.field("section_key", f"no section {comment.section_key!r} in this draft")
        if comment.quote is not None:
            if section is None:
                raise Invalid.field("quote", "a quote needs a section_key")
            if not comment.quote.strip() or not _quote_occurs(comment.quote, section):
                raise Invalid.field("quote", "must be an exact passage of the section's heading or text")

    async def _visible_comment(self, comment_id: UUID, round_: CommentRound, *, field: str) -> Comment:
        comment = await self.session.get(Comment, comment_id)
        if comment is None or comment.round_id != round_.id or not self._may_see(comment, round_):
            raise Invalid.field(field, f"no comment {comment_id} in this round")
        return comment

    def _may_see(self, comment: Comment, round_: CommentRound) -> bool:
        if isinstance(self.principal, StaffPrincipal):
            return True
        if comment.hidden_at is not None:
            return False
        return (
            round_.visibility is RoundVisibility.PARTICIPANTS or comment.author_id == self.principal.person_id
        )

    async def _own_comment_in_open_round(self, comment_id: UUID) -> tuple[Comment, CommentRound]:
        author = self._stakeholder()
        comment = await self.session.get(Comment, comment_id)
        if comment is None or comment.round_id != author.round_id or comment.hidden_at is not None:
            raise NotFound(f"comment {comment_id} does not exist")
        if comment.author_id != author.person_id:
            raise Forbidden("only the author may change a comment")
        round_ = await self.rounds.get(comment.round_id)
        _require_open(round_)
        if comment.withdrawn_at is not None:
            raise Conflict("the comment has been withdrawn")
        return comment, round_

    async def update(self, comment_id: UUID, patch: schemas.CommentPatch) -> Comment:
        comment, round_ = await self._own_comment_in_open_round(comment_id)
        changes = {
            name: value for name, value in patch_fields(patch).items() if getattr(comment, name) != value
        }
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

    async def _staff_comment(self, comment_id: UUID) -> Comment:
        comment = await self.session.get(Comment, comment_id)
        if comment is None:
            raise NotFound(f"comment {comment_id} does not exist")
        return comment

    def _staff_user_id(self) -> UUID | None:
        return self.principal.user_id if isinstance(self.principal, StaffPrincipal) else None

    async def hide(self, comment_id: UUID, reason: str) -> Comment:
        comment = await self._staff_comment(comment_id)
        if comment.hidden_at is not None:
            raise Conflict("the comment is already hidden")
        comment.hidden_at = dt.datetime.now(dt.UTC)
        comment.hidden_reason = reason
        self.session.add(
            ModerationEntry(
                comment_id=comment.id,
                action=ModerationAction.HIDE,
                reason=reason,
                staff_user_id=self._staff_user_id(),
            )
        )
        await self.session.flush()
        return comment

    async def restore(self, comment_id: UUID) -> Comment:
        comment = await self._staff_comment(comment_id)
        if comment.hidden_at is None:
            raise Conflict("the comment is not hidden")
        comment.hidden_at = None
        comment.hidden_reason = None
        self.session.add(
            ModerationEntry(
                comment_id=comment.id, action=ModerationAction.RESTORE, staff_user_id=self._staff_user_id()
            )
        )
        await self.session.flush()
        return comment

    async def respond(self, comment_id: UUID, data: schemas.ResponseIn) -> Comment:
        """The facilitators' answer; the author is told by email (again when the answer changes)."""
        comment = await self._staff_comment(comment_id)
        if (data.taken_up_version_id is None) != (data.taken_up_section_key is None):
            raise Invalid.field(
                "taken_up_section_key", "give both taken_up_version_id and taken_up_section_key"
            )
        if data.taken_up_version_id is not None:
            await self._check_taken_up(comment, data.taken_up_version_id, data.taken_up_section_key)
        comment.decision = data.decision
        comment.rationale = data.rationale
        comment.taken_up_version_id = data.taken_up_version_id
        comment.taken_up_section_key = data.taken_up_section_key
        comment.responded_at = dt.datetime.now(dt.UTC)
        comment.responded_by_id = self._staff_user_id()
        enqueue(
            self.session,
            kind=EmailKind.COMMENT_RESPONSE,
            person_id=comment.author_id,
            domain=mail_domain(self.settings.mail_from),
            context={"comment_id": str(comment.id)},
        )
        await self.session.flush()
        return comment

    async def _check_taken_up(self, comment: Comment, version_id: UUID, section_key: str | None) -> None:
        """The later version must be of the same document, and have that section."""
        round_ = await self.session.get(CommentRound, comment.round_id)
        assert round_ is not None
        commented = await self.session.get(DocumentVersion, round_.document_version_id)
        taken_up = await self.session.get(DocumentVersion, version_id)
        if taken_up is None or commented is None or taken_up.document_id != commented.document_id:
            raise Invalid.field("taken_up_version_id", "not a version of the draft this round comments on")
        if taken_up.number <= commented.number:
            raise Invalid.field("taken_up_version_id", "must be a later version than the one commented on")
        found = await self.session.scalar(
            select(DocumentSection.id).where(
                DocumentSection.version_id == version_id, DocumentSection.key == section_key
            )
        )
        if found is None:
            raise Invalid.field("taken_up_section_key", f"no section {section_key!r} in that version")

    async def history(self, comment_id: UUID) -> schemas.CommentHistory:
        comment = await self._staff_comment(comment_id)
        revisions = (
            await self.session.scalars(
                select(CommentRevision)
                .where(CommentRevision.comment_id == comment.id)
                .order_by(CommentRevision.number)
            )
        ).all()
        moderation = (
            await self.session.scalars(
                select(ModerationEntry)
                .where(ModerationEntry.comment_id == comment.id)
                .order_by(ModerationEntry.created_at, ModerationEntry.id)
            )
        ).all()
        return schemas.CommentHistory(
            comment_id=comment.id,
            revisions=[
                schemas.RevisionOut(
                    number=r.number,
                    kind=r.kind,
                    body=r.body,
                    quote=r.quote,
                    proposed_text=r.proposed_text,
                    attribution=r.attribution,
                    replaced_at=r.created_at,
                )
                for r in revisions
            ],
            moderation=[
                schemas.ModerationOut(
                    action=m.action.value, reason=m.reason, staff_user_id=m.staff_user_id, at=m.created_at
                )
                for m in moderation
            ],
        )

    # --- reading ---------------------------------------------------------------------------------

    async def one(self, comment: Comment) -> schemas.CommentOut:
        """A single comment as the principal sees it (without replies)."""
        round_ = await self.rounds.get(comment.round_id)
        rows = (
            await self.session.execute(_with_authors(select(Comment).where(Comment.id == comment.id)))
        ).all()
        return _Projector(self.principal, round_).node(*rows[0])

    async def tree(self, round_id: UUID, filters: CommentFilters, page: PageParams) -> schemas.CommentTree:
        """Top-level threads (a page of them) with all their replies, grouped by section in draft order.

        A thread is listed when any comment in it that the reader may see matches the filters.
        Five queries: the round, the count, the page of threads, their comments, their sections.
        """
        if filters.decision is not None and not isinstance(self.principal, StaffPrincipal):
            raise Forbidden("filtering by the facilitators' decision is for staff")
        round_ = await self.rounds.get(round_id)
        root = aliased(Comment)
        roots = (
            select(root.id)
            .outerjoin(
                DocumentSection,
                (DocumentSection.version_id == round_.document_version_id)
                & (DocumentSection.key == root.section_key),
            )
            .where(
                root.round_id == round_.id,
                root.parent_id.is_(None),
                self._visible(root, round_),
                self._thread_matches(root, round_, filters),
            )
        )
        total = await self.session.scalar(select(func.count()).select_from(roots.subquery()))
        root_ids = (
            await self.session.scalars(
                roots.order_by(DocumentSection.position.asc().nulls_first(), root.created_at, root.id)
                .limit(page.limit)
                .offset(page.offset)
            )
        ).all()
        rows: list[AuthoredRow] = list(
            (
                await self.session.execute(
                    _with_authors(
                        select(Comment)
                        .where(Comment.thread_id.in_(root_ids), self._visible(Comment, round_))
                        .order_by(Comment.created_at, Comment.id)
                    )
                )
            ).all()
        )
        keys = {comment.section_key for comment, *_ in rows if comment.section_key}
        sections = {
            s.key: s
            for s in (
                await self.session.scalars(
                    select(DocumentSection).where(
                        DocumentSection.version_id == round_.document_version_id,
                        DocumentSection.key.in_(keys),
                    )
                )
            ).all()
        }
        return schemas.CommentTree(
            round_id=round_.id,
            sections=_Projector(self.principal, round_).by_section(list(root_ids), rows, sections),
            total=int(total or 0),
            limit=page.limit,
            offset=page.offset,
        )

    def _visible(self, comment: type[Comment], round_: CommentRound) -> ColumnElement[bool]:
        if isinstance(self.principal, StaffPrincipal):
            return true()
        not_hidden = comment.hidden_at.is_(None)
        if round_.visibility is RoundVisibility.FACILITATORS:
            return not_hidden & (comment.author_id == self.principal.person_id)
        return not_hidden

    def _thread_matches(
        self, root: type[Comment], round_: CommentRound, filters: CommentFilters
    ) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if filters.section_key is not None:
            conditions.append(root.section_key == filters.section_key)
        member = aliased(Comment)
        author = aliased(Person)
        speaks_for = func.coalesce(member.on_behalf_of_organisation_id, author.organisation_id)
        matches: list[ColumnElement[bool]] = []
        if filters.kind is not None:
            matches.append(member.kind == filters.kind)
        if filters.decision is not None:
            matches.append(member.decision == filters.decision)
        if filters.organisation_id is not None or filters.organisation_kind is not None:
            if not isinstance(self.principal, StaffPrincipal):
                # An anonymous comment must not be found through its author's organisation.
                matches.append(member.attribution != Attribution.ANONYMOUS)
            if filters.organisation_id is not None:
                matches.append(speaks_for == filters.organisation_id)
            if filters.organisation_kind is not None:
                matches.append(
                    exists().where(
                        Organisation.id == speaks_for, Organisation.kind == filters.organisation_kind
                    )
                )
        if matches:
            conditions.append(
                exists()
                .where(
                    member.thread_id == root.id, author.id == member.author_id, self._visible(member, round_)
                )
                .where(*matches)
            )
        return and_(true(), *conditions)


AuthoredRow = tuple[Comment, Person, Organisation | None]


def _with_authors(stmt: Select[Comment]) -> Select[Comment, Person, Organisation]:
    """Each comment with its author and the organisation it speaks for (or the author's own)."""
    return (
        stmt.join(Person, Person.id == Comment.author_id)
        .outerjoin(
            Organisation,
            Organisation.id == func.coalesce(Comment.on_behalf_of_organisation_id, Person.organisation_id),
        )
        .add_columns(Person, Organisation)
    )


class _Projector:
    """Turns rows into what one reader may see: authors per attribution, answers to their authors."""

    def __init__(self, principal: Principal, round_: CommentRound) -> None:
        self.staff = isinstance(principal, StaffPrincipal)
        self.person_id = None if isinstance(principal, StaffPrincipal) else principal.person_id
        self.round = round_

    def node(self, comment: Comment, person: Person, organisation: Organisation | None) -> schemas.CommentOut:
        mine = comment.author_id == self.person_id
        full = ShownAuthor(
            person_id=person.id,
            full_name=person.full_name,
            organisation_id=organisation.id if organisation else None,
            organisation_name=organisation.name if organisation else None,
            organisation_kind=organisation.kind if organisation else None,
        )
        author = full if self.staff or mine else public_author(comment.attribution, full)
        status = schemas.CommentStatus.ACTIVE
        if comment.withdrawn_at is not None:
            status = schemas.CommentStatus.WITHDRAWN
        if comment.hidden_at is not None:
            status = schemas.CommentStatus.HIDDEN
        # What a withdrawn comment said stays with its author and the staff.
        redacted = status is schemas.CommentStatus.WITHDRAWN and not (self.staff or mine)
        answered = comment.decision is not None and comment.responded_at is not None
        return schemas.CommentOut(
            id=comment.id,
            round_id=comment.round_id,
            section_key=comment.section_key,
            parent_id=comment.parent_id,
            kind=comment.kind,
            status=status,
            body="" if redacted else comment.body,
            quote=None if redacted else comment.quote,
            proposed_text=None if redacted else comment.proposed_text,
            attribution=comment.attribution,
            on_behalf_of_organisation=comment.on_behalf_of_organisation_id is not None,
            author=schemas.AuthorOut(
                person_id=author.person_id,
                full_name=author.full_name,
                organisation_id=author.organisation_id,
                organisation_name=author.organisation_name,
                organisation_kind=author.organisation_kind,
            ),
            mine=mine,
            created_at=comment.created_at,
            edited_at=comment.edited_at,
            response=schemas.ResponseOut(
                decision=comment.decision,  # type: ignore[arg-type]
                rationale=comment.rationale or "",
                taken_up_version_id=comment.taken_up_version_id,
                taken_up_section_key=comment.taken_up_section_key,
                responded_at=comment.responded_at,  # type: ignore[arg-type]
            )
            if answered and (self.staff or mine)
            else None,
            hidden_reason=comment.hidden_reason if self.staff else None,
        )

    def by_section(
        self,
        root_ids: list[UUID],
        rows: list[AuthoredRow],
        sections: dict[str, DocumentSection],
    ) -> list[schemas.SectionThreads]:
        """Threads nested, in the order of ``root_ids`` (draft order), grouped by section. A reply
        whose parent the reader may not see is left out with the parent."""
        nodes: dict[UUID, schemas.CommentOut] = {}
        for comment, person, organisation in rows:  # oldest first: parents come before replies
            node = self.node(comment, person, organisation)
            if comment.parent_id is None:
                nodes[comment.id] = node
            elif comment.parent_id in nodes:
                nodes[comment.parent_id].replies.append(node)
                nodes[comment.id] = node
        grouped: dict[str | None, schemas.SectionThreads] = {}
        for root_id in root_ids:
            root = nodes.get(root_id)
            if root is None:
                continue
            key = root.section_key
            if key not in grouped:
                section = sections.get(key) if key else None
                grouped[key] = schemas.SectionThreads(
                    key=key,
                    number=section.number if section else None,
                    heading=section.heading if section else None,
                    threads=[],
                )
            grouped[key].threads.append(root)
        return list(grouped.values())
