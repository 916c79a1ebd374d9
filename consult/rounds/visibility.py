"""Who may see which comment, and which threads a filter selects: the one place these rules live.

Comments are read by three audiences:

- **staff** (admins, organisers, facilitators, through the API): every comment, hidden and
  withdrawn ones included, with its author;
- a **stakeholder** (through their personal round link: the API and the round page): never a hidden
  comment; only their own when the round is visible to facilitators only; what a withdrawn comment
  said only when it is theirs; other authors as the author chose (``named``, ``organisation`` only
  or ``anonymous``); facilitators' answers only to their own comments;
- what is **published** about a round (exports, statistics): neither hidden nor withdrawn
  comments, authors as they chose.

A reply digest quotes the replies its reader may read (``readable``), with authors as they chose.

An organisation filter never finds an anonymous comment for an audience that does not see its
author (that would name its organisation). The rules are SQL conditions, so that every reading path
(the listing's prebuilt statements, the exports' cursor, the digests, the statistics, a single
comment's check) filters in the database through the same definitions; ``sees_in_full`` is their
Python side, for the rows already read.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, fields
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    SQLColumnExpression,
    Table,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.principals import Principal, StaffPrincipal, StakeholderPrincipal
from consult.directory.models import Organisation, OrganisationKind, Person
from consult.rounds.models import Attribution, Comment, CommentKind, CommentRound, Decision, RoundVisibility

comment_table = cast(Table, Comment.__table__)
person_table = cast(Table, Person.__table__)
organisation_table = cast(Table, Organisation.__table__)
round_table = cast(Table, CommentRound.__table__)


class Audience(enum.Enum):
    STAFF = "staff"
    STAKEHOLDER = "stakeholder"
    PUBLISHED = "published"

    @classmethod
    def of(cls, principal: Principal) -> Audience:
        return cls.STAFF if isinstance(principal, StaffPrincipal) else cls.STAKEHOLDER

    @property
    def sees_authors(self) -> bool:
        """Whether this audience sees who wrote every comment, whatever its attribution."""
        return self is Audience.STAFF


# --- which comments --------------------------------------------------------------------------------


def published(comment: FromClause) -> ColumnElement[bool]:
    """Comments that appear in what is published about a round: neither hidden nor withdrawn."""
    return comment.c.hidden_at.is_(None) & comment.c.withdrawn_at.is_(None)


def visible(
    comment: FromClause,
    audience: Audience,
    round_visibility: SQLColumnExpression[Any] | None = None,
    person_id: SQLColumnExpression[Any] | None = None,
) -> ColumnElement[bool]:
    """The comments the audience may see. For a stakeholder, ``round_visibility`` is the comment's
    round's column and ``person_id`` the reader (by default the ``:person_id`` parameter)."""
    if audience is Audience.STAFF:
        return true()
    if audience is Audience.PUBLISHED:
        return published(comment)
    if round_visibility is None:
        raise ValueError("a stakeholder's view depends on the round's visibility")
    reader = bindparam("person_id") if person_id is None else person_id
    return comment.c.hidden_at.is_(None) & (
        (round_visibility == RoundVisibility.PARTICIPANTS) | (comment.c.author_id == reader)
    )


def readable(
    comment: FromClause, round_visibility: SQLColumnExpression[Any], person_id: SQLColumnExpression[Any]
) -> ColumnElement[bool]:
    """The comments a stakeholder may read the text of: visible, and not withdrawn unless theirs."""
    return visible(comment, Audience.STAKEHOLDER, round_visibility, person_id) & (
        comment.c.withdrawn_at.is_(None) | (comment.c.author_id == person_id)
    )


def sees_in_full(audience: Audience, author_id: UUID, person_id: UUID | None) -> bool:
    """Whether a reader sees a comment they may see whole (its author whatever the attribution, a
    withdrawn text, the facilitators' answer): staff, and the author themselves."""
    return audience.sees_authors or author_id == person_id


def sees_files(
    audience: Audience, author_id: UUID, person_id: UUID | None, attribution: Attribution, withdrawn: bool
) -> bool:
    """``may_see_files`` for a comment already read that the reader may see: staff and the author
    always; others the files of a comment signed with a name that is not withdrawn."""
    if sees_in_full(audience, author_id, person_id):
        return True
    return attribution is Attribution.NAMED and not withdrawn


def speaks_for(comment: FromClause, author: FromClause) -> ColumnElement[Any]:
    """The organisation a comment speaks for: the one it was written on behalf of, or its author's."""
    return func.coalesce(comment.c.on_behalf_of_organisation_id, author.c.organisation_id)


# --- single comments, as a principal asks for them --------------------------------------------------


_WITH_ROUND = comment_table.join(round_table, round_table.c.id == comment_table.c.round_id)


def _in_round_of(principal: StakeholderPrincipal, seen: ColumnElement[bool]) -> ColumnElement[bool]:
    return (comment_table.c.round_id == principal.round_id) & seen


def _reader(principal: StakeholderPrincipal) -> ColumnElement[Any]:
    return literal(principal.person_id, comment_table.c.author_id.type)


async def visible_comment(session: AsyncSession, principal: Principal, comment_id: UUID) -> Comment | None:
    """The comment, if the principal may see it."""
    stmt = select(Comment).select_from(_WITH_ROUND).where(Comment.id == comment_id)
    if isinstance(principal, StakeholderPrincipal):
        seen = visible(comment_table, Audience.STAKEHOLDER, round_table.c.visibility, _reader(principal))
        stmt = stmt.where(_in_round_of(principal, seen))
    return await session.scalar(stmt)


async def may_see_files(session: AsyncSession, principal: Principal, comment_id: UUID) -> bool:
    """Whether the principal may see the files that came with a comment: staff always; a
    stakeholder those of a comment they may read that is theirs, or signed with a name (a letterhead
    or a file's name would tell who wrote an anonymous one). ``sees_files`` is its Python side."""
    found = exists().select_from(_WITH_ROUND).where(comment_table.c.id == comment_id)
    if isinstance(principal, StakeholderPrincipal):
        reader = _reader(principal)
        signed_or_theirs = (comment_table.c.author_id == reader) | (
            comment_table.c.attribution == Attribution.NAMED
        )
        read = readable(comment_table, round_table.c.visibility, reader)
        found = found.where(_in_round_of(principal, read & signed_or_theirs))
    return bool(await session.scalar(select(found)))


# --- which threads a filter selects ---------------------------------------------------------------


@dataclass(frozen=True)
class CommentFilters:
    """The filters of the comment list and of the exports (which alone offer the date range on when
    comments were written). They select threads: a thread is selected whole when any of its
    comments that the audience sees matches. ``whole_draft`` selects the threads on no section
    (the round page's comments on the whole draft; the API does not offer it)."""

    section_key: str | None = None
    whole_draft: bool = False
    organisation_id: UUID | None = None
    organisation_kind: OrganisationKind | None = None
    kind: CommentKind | None = None
    decision: Decision | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None


def provide_comment_filters(
    section_key: str | None = None,
    organisation_id: UUID | None = None,
    organisation_kind: OrganisationKind | None = None,
    kind: CommentKind | None = None,
    decision: Decision | None = None,
) -> CommentFilters:
    """The thread filters from a request's query (a litestar dependency of the comment list and the
    export, which adds its date range)."""
    return CommentFilters(
        section_key=section_key,
        organisation_id=organisation_id,
        organisation_kind=organisation_kind,
        kind=kind,
        decision=decision,
    )


@dataclass(frozen=True)
class FilterShape:
    """Which filters are given: what a thread condition's SQL depends on (the values go in as
    parameters named after the filters' fields), so statements can be built once per shape."""

    section: bool = False
    whole_draft: bool = False
    kind: bool = False
    decision: bool = False
    organisation: bool = False
    organisation_kind: bool = False
    created_from: bool = False
    created_to: bool = False

    @classmethod
    def of(cls, filters: CommentFilters) -> FilterShape:
        return cls(
            section=filters.section_key is not None,
            whole_draft=filters.whole_draft,
            kind=filters.kind is not None,
            decision=filters.decision is not None,
            organisation=filters.organisation_id is not None,
            organisation_kind=filters.organisation_kind is not None,
            created_from=filters.created_from is not None,
            created_to=filters.created_to is not None,
        )


# Another comment of the same thread, its author and the organisation it speaks for.
_member = comment_table.alias("member")
_member_author = person_table.alias("member_author")
_member_organisation = organisation_table.alias("member_organisation")


def _param(name: str, column: ColumnElement[Any]) -> BindParameter[Any]:
    return bindparam(name, type_=column.type)


def thread_matches(
    thread_id: SQLColumnExpression[Any],
    section_key: SQLColumnExpression[Any],
    shape: FilterShape,
    audience: Audience,
    round_visibility: SQLColumnExpression[Any] | None = None,
) -> ColumnElement[bool]:
    """Whether the thread ``thread_id`` (whose comments are all on ``section_key``) is selected by
    the filters of ``shape``, for ``audience`` (see ``visible`` for ``round_visibility``)."""
    conditions: list[ColumnElement[bool]] = []
    if shape.section:
        conditions.append(section_key == bindparam("section_key"))
    if shape.whole_draft:
        conditions.append(section_key.is_(None))
    member = _member.c
    organisation = speaks_for(_member, _member_author)
    matches: list[ColumnElement[bool]] = []
    if shape.kind:
        matches.append(member.kind == bindparam("kind"))
    if shape.decision:
        matches.append(member.decision == bindparam("decision"))
    if shape.created_from:
        matches.append(member.created_at >= _param("created_from", member.created_at))
    if shape.created_to:
        matches.append(member.created_at < _param("created_to", member.created_at))
    if shape.organisation or shape.organisation_kind:
        if not audience.sees_authors:
            # An anonymous comment must not be found through its author's organisation.
            matches.append(member.attribution != Attribution.ANONYMOUS)
        if shape.organisation:
            matches.append(organisation == _param("organisation_id", organisation_table.c.id))
        if shape.organisation_kind:
            matches.append(
                exists().where(
                    _member_organisation.c.id == organisation,
                    _member_organisation.c.kind == bindparam("organisation_kind"),
                )
            )
    if matches:
        conditions.append(
            exists().where(
                member.thread_id == thread_id,
                _member_author.c.id == member.author_id,
                visible(_member, audience, round_visibility),
                *matches,
            )
        )
    return and_(true(), *conditions)


def filter_params(filters: CommentFilters) -> dict[str, Any]:
    """The values of the parameters ``thread_matches`` binds: named after the filters' fields."""
    return {field.name: getattr(filters, field.name) for field in fields(filters)}


# --- how an author is shown ------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownAuthor:
    person_id: UUID | None = None
    full_name: str | None = None
    organisation_id: UUID | None = None
    organisation_name: str | None = None
    organisation_kind: OrganisationKind | None = None


def public_author(attribution: Attribution, author: ShownAuthor) -> ShownAuthor:
    """The author as those who do not see them in full see them."""
    if attribution is Attribution.ANONYMOUS:
        return ShownAuthor()
    if attribution is Attribution.ORGANISATION:
        return ShownAuthor(
            organisation_id=author.organisation_id,
            organisation_name=author.organisation_name,
            organisation_kind=author.organisation_kind,
        )
    return author
