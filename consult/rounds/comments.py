"""Comments in a round: writing, editing, withdrawing, moderating and answering them, and reading
them as a tree per section.

Stakeholders write and change their own comments while the round is open; facilitators hide,
restore and answer. Reading a page of threads costs a fixed number of queries, however many
comments and however deep the threads.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from consult.auth.principals import Principal, StaffPrincipal, StakeholderPrincipal
from consult.crud import patch_fields
from consult.db import fetch_rows
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

    async def may_see_files(self, comment_id: UUID) -> bool:
        """Whether the principal may see the files that came with a comment: staff always; a
        stakeholder those of a comment they may read that is theirs, or signed with a name and not
        withdrawn (a letterhead or a file's name would tell who wrote an anonymous one)."""
        comment = await self.session.get(Comment, comment_id)
        if comment is None or not isinstance(self.principal, StakeholderPrincipal):
            return comment is not None
        if comment.round_id != self.principal.round_id:
            return False
        mine = comment.author_id == self.principal.person_id
        signed = comment.attribution is Attribution.NAMED and comment.withdrawn_at is None
        return (mine or signed) and self._may_see(comment, await self.rounds.get(comment.round_id))

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
            domain=mail_domain(self.settings.mail.from_address),
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
    # The hot path of the API and the round page: plain Core statements on the tables, rows turned
    # straight into the response structs (no ORM objects, no aliases built per request).

    async def one(self, comment: Comment) -> schemas.CommentOut:
        """A single comment as the principal sees it (without replies); the methods that return
        comments have checked that the principal may see it."""
        row = (await self.session.execute(_NODES.where(_comment.c.id == comment.id))).one()
        return _Projector(self.principal).node(row)

    async def tree(self, round_id: UUID, filters: CommentFilters, page: PageParams) -> schemas.CommentTree:
        """Top-level threads (a page of them) with all their replies, grouped by section in draft order.

        A thread is listed when any comment in it that the reader may see matches the filters. One
        statement reads the page of threads, their count, every comment in them with its author and
        section; the round itself is read only when that finds nothing (to tell an unknown round,
        404, from an empty page, and to count the threads before a page past the last one).
        """
        staff = isinstance(self.principal, StaffPrincipal)
        if filters.decision is not None and not staff:
            raise Forbidden("filtering by the facilitators' decision is for staff")
        if isinstance(self.principal, StakeholderPrincipal) and self.principal.round_id != round_id:
            raise NotFound(f"comment round {round_id} does not exist")
        shape = _TreeShape(
            staff=staff,
            section=filters.section_key is not None,
            kind=filters.kind is not None,
            decision=filters.decision is not None,
            organisation=filters.organisation_id is not None,
            organisation_kind=filters.organisation_kind is not None,
        )
        stmt, count = _tree_statements(shape)
        params = {
            "round_id": round_id,
            "person_id": None if staff else self.principal.person_id,  # type: ignore[union-attr]
            "section_key": filters.section_key,
            "kind": filters.kind,
            "decision": filters.decision,
            "organisation_id": filters.organisation_id,
            "organisation_kind": filters.organisation_kind,
            "limit": page.limit,
            "offset": page.offset,
        }
        connection = await self.session.connection()
        rows = await fetch_rows(connection, stmt, params)
        total = int(rows[0][_NODE_WIDTH + 1]) if rows else 0
        if not rows:
            await self.rounds.get(round_id)  # 404 for an unknown round
            if page.offset:
                total = int((await connection.execute(count, params)).scalar_one())
        return schemas.CommentTree(
            round_id=round_id,
            sections=_Projector(self.principal).by_section(rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


_comment = cast(Table, Comment.__table__)
_person = cast(Table, Person.__table__)
_organisation = cast(Table, Organisation.__table__)
_section = cast(Table, DocumentSection.__table__)
_round = cast(Table, CommentRound.__table__)
# Another comment of the same thread and its author, for the filters on whole threads.
_member = _comment.alias("member")
_member_author = _person.alias("member_author")

# Each comment with its author and the organisation it speaks for (or the author's own).
_NODES = select(
    _comment.c.id,
    _comment.c.round_id,
    _comment.c.section_key,
    _comment.c.parent_id,
    _comment.c.author_id,
    _comment.c.kind,
    _comment.c.body,
    _comment.c.quote,
    _comment.c.proposed_text,
    _comment.c.attribution,
    _comment.c.on_behalf_of_organisation_id,
    _comment.c.created_at,
    _comment.c.edited_at,
    _comment.c.withdrawn_at,
    _comment.c.hidden_at,
    _comment.c.hidden_reason,
    _comment.c.decision,
    _comment.c.rationale,
    _comment.c.taken_up_version_id,
    _comment.c.taken_up_section_key,
    _comment.c.responded_at,
    _person.c.full_name.label("author_name"),
    _organisation.c.id.label("organisation_id"),
    _organisation.c.name.label("organisation_name"),
    _organisation.c.kind.label("organisation_kind"),
).select_from(
    _comment.join(_person, _person.c.id == _comment.c.author_id).outerjoin(
        _organisation,
        _organisation.c.id
        == func.coalesce(_comment.c.on_behalf_of_organisation_id, _person.c.organisation_id),
    )
)


@dataclass(frozen=True)
class _TreeShape:
    """What a tree statement depends on besides its parameters: the reader and the filters given."""

    staff: bool
    section: bool
    kind: bool
    decision: bool
    organisation: bool
    organisation_kind: bool


def _visible(comment: FromClause, visibility: ColumnElement[Any], staff: bool) -> ColumnElement[bool]:
    """Which comments the reader (``:person_id`` unless staff) may see, given the round's visibility."""
    if staff:
        return true()
    return comment.c.hidden_at.is_(None) & (
        (visibility == RoundVisibility.PARTICIPANTS) | (comment.c.author_id == bindparam("person_id"))
    )


def _thread_matches(shape: _TreeShape) -> ColumnElement[bool]:
    """Conditions on a top-level comment (``_comment``, of the round ``_round``) for its thread to be listed."""
    conditions: list[ColumnElement[bool]] = []
    if shape.section:
        conditions.append(_comment.c.section_key == bindparam("section_key"))
    member, author = _member.c, _member_author.c
    speaks_for = func.coalesce(member.on_behalf_of_organisation_id, author.organisation_id)
    matches: list[ColumnElement[bool]] = []
    if shape.kind:
        matches.append(member.kind == bindparam("kind"))
    if shape.decision:
        matches.append(member.decision == bindparam("decision"))
    if shape.organisation or shape.organisation_kind:
        if not shape.staff:
            # An anonymous comment must not be found through its author's organisation.
            matches.append(member.attribution != Attribution.ANONYMOUS)
        if shape.organisation:
            matches.append(speaks_for == bindparam("organisation_id", type_=_organisation.c.id.type))
        if shape.organisation_kind:
            matches.append(
                exists().where(
                    _organisation.c.id == speaks_for, _organisation.c.kind == bindparam("organisation_kind")
                )
            )
    if matches:
        conditions.append(
            exists()
            .where(
                member.thread_id == _comment.c.id,
                author.id == member.author_id,
                _visible(_member, _round.c.visibility, shape.staff),
            )
            .where(*matches)
        )
    return and_(true(), *conditions)


@functools.cache
def _tree_statements(shape: _TreeShape) -> tuple[Select[Any], Select[Any]]:
    """The page of threads with every comment in them, and the count of threads alone; built once
    per shape, the values go in as parameters."""
    c = _comment.c
    conditions = (
        c.round_id == bindparam("round_id"),
        c.parent_id.is_(None),
        _visible(_comment, _round.c.visibility, shape.staff),
        _thread_matches(shape),
    )
    threads = _comment.join(_round, _round.c.id == c.round_id)
    if shape.section:  # one section: draft order is creation order
        order: tuple[ColumnElement[Any], ...] = (c.created_at, c.id)
    else:
        threads = threads.outerjoin(
            _section,
            (_section.c.version_id == _round.c.document_version_id) & (_section.c.key == c.section_key),
        )
        order = (_section.c.position.asc().nulls_first(), c.created_at, c.id)
    roots = (
        select(
            c.id.label("root_id"),
            func.row_number().over(order_by=order).label("rank"),
            func.count().over().label("total"),
            _round.c.document_version_id.label("version_id"),
            _round.c.visibility.label("visibility"),
        )
        .select_from(threads)
        .where(*conditions)
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .cte("page")
    )
    page = (
        _NODES.add_columns(roots.c.rank, roots.c.total, _section.c.number, _section.c.heading)
        .join(roots, roots.c.root_id == c.thread_id)
        .outerjoin(
            _section, (_section.c.version_id == roots.c.version_id) & (_section.c.key == c.section_key)
        )
        .where(_visible(_comment, roots.c.visibility, shape.staff))
        .order_by(c.created_at, c.id)
    )
    count = select(func.count()).select_from(threads).where(*conditions)
    return page, count


_NODE_WIDTH = len(_NODES.selected_columns)


class _Projector:
    """Turns rows of ``_NODES`` into what one reader may see: authors per attribution, answers to
    their authors."""

    def __init__(self, principal: Principal) -> None:
        self.staff = isinstance(principal, StaffPrincipal)
        self.person_id = None if isinstance(principal, StaffPrincipal) else principal.person_id

    def node(self, row: Sequence[Any]) -> schemas.CommentOut:
        # Unpacked by position: reading 25 Row attributes by name costs more than the rest of this.
        (
            comment_id,
            round_id,
            section_key,
            parent_id,
            author_id,
            kind,
            body,
            quote,
            proposed_text,
            attribution,
            on_behalf_of_organisation_id,
            created_at,
            edited_at,
            withdrawn_at,
            hidden_at,
            hidden_reason,
            decision,
            rationale,
            taken_up_version_id,
            taken_up_section_key,
            responded_at,
            author_name,
            organisation_id,
            organisation_name,
            organisation_kind,
            *_,
        ) = row
        # Enum members again (from asyncpg they come as their values).
        kind, attribution = CommentKind(kind), Attribution(attribution)
        decision = None if decision is None else Decision(decision)
        organisation_kind = None if organisation_kind is None else OrganisationKind(organisation_kind)
        mine = author_id == self.person_id
        full = self.staff or mine
        if full or attribution is Attribution.NAMED:
            author = schemas.AuthorOut(
                person_id=author_id,
                full_name=author_name,
                organisation_id=organisation_id,
                organisation_name=organisation_name,
                organisation_kind=organisation_kind,
            )
        else:
            shown = public_author(
                attribution,
                ShownAuthor(author_id, author_name, organisation_id, organisation_name, organisation_kind),
            )
            author = schemas.AuthorOut(
                person_id=shown.person_id,
                full_name=shown.full_name,
                organisation_id=shown.organisation_id,
                organisation_name=shown.organisation_name,
                organisation_kind=shown.organisation_kind,
            )
        status = schemas.CommentStatus.ACTIVE
        if withdrawn_at is not None:
            status = schemas.CommentStatus.WITHDRAWN
        if hidden_at is not None:
            status = schemas.CommentStatus.HIDDEN
        # What a withdrawn comment said stays with its author and the staff.
        redacted = status is schemas.CommentStatus.WITHDRAWN and not full
        return schemas.CommentOut(
            id=comment_id,
            round_id=round_id,
            section_key=section_key,
            parent_id=parent_id,
            kind=kind,
            status=status,
            body="" if redacted else body,
            quote=None if redacted else quote,
            proposed_text=None if redacted else proposed_text,
            attribution=attribution,
            on_behalf_of_organisation=on_behalf_of_organisation_id is not None,
            author=author,
            mine=mine,
            created_at=created_at,
            edited_at=edited_at,
            response=schemas.ResponseOut(
                decision=decision,
                rationale=rationale or "",
                taken_up_version_id=taken_up_version_id,
                taken_up_section_key=taken_up_section_key,
                responded_at=responded_at,
            )
            if decision is not None and responded_at is not None and full
            else None,
            hidden_reason=hidden_reason if self.staff else None,
        )

    def by_section(self, rows: Sequence[Sequence[Any]]) -> list[schemas.SectionThreads]:
        """Threads nested, in the order of their ``rank`` (draft order), grouped by section. A reply
        whose parent the reader may not see is left out with the parent. Rows are ``_NODES`` rows
        followed by rank, total, section number and heading."""
        nodes: dict[UUID, schemas.CommentOut] = {}
        roots: list[tuple[int, schemas.CommentOut, str | None, str | None]] = []
        for row in rows:  # oldest first: parents come before replies
            comment_id, parent_id = row[0], row[3]
            if parent_id is None:
                node = nodes[comment_id] = self.node(row)
                rank, _total, number, heading = row[_NODE_WIDTH:]
                roots.append((rank, node, number, heading))
            elif parent_id in nodes:
                node = self.node(row)
                nodes[parent_id].replies.append(node)
                nodes[comment_id] = node
        roots.sort(key=lambda found: found[0])
        grouped: dict[str | None, schemas.SectionThreads] = {}
        for _, root, number, heading in roots:
            key = root.section_key
            if key not in grouped:
                grouped[key] = schemas.SectionThreads(key=key, number=number, heading=heading, threads=[])
            grouped[key].threads.append(root)
        return list(grouped.values())
