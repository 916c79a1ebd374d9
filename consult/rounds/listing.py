"""Reading comments as a tree per section: the hot path of the API and the round page.

Plain Core statements on the tables, built once per shape of the filters and run through
``consult.db.fetch_rows``; rows are turned straight into the response structs (no ORM objects, no
aliases built per request). Reading a page of threads costs a fixed number of queries, however many
comments and however deep the threads. Which comments and threads a reader gets is decided in
``consult.rounds.visibility``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Integer, Select, Table, bindparam, func, select, tuple_

from consult.auth.principals import Principal, StaffPrincipal, StakeholderPrincipal
from consult.db import fetch_rows
from consult.directory.models import OrganisationKind
from consult.drafts.models import DocumentSection
from consult.errors import Forbidden, NotFound
from consult.pagination import PageParams
from consult.rounds import schemas
from consult.rounds.models import (
    Attribution,
    Comment,
    CommentAttachment,
    CommentKind,
    CommentSource,
    Decision,
)
from consult.rounds.service import ActingService, RoundService
from consult.rounds.visibility import (
    Audience,
    CommentFilters,
    FilterShape,
    ShownAuthor,
    comment_table,
    filter_params,
    organisation_table,
    person_table,
    public_author,
    round_table,
    sees_files,
    sees_in_full,
    speaks_for,
    thread_matches,
    visible,
)


class ListingService(ActingService):
    async def one(self, comment: Comment) -> schemas.CommentOut:
        """A single comment as the principal sees it (without replies); the methods that return
        comments have checked that the principal may see it."""
        rows = (await self.session.execute(_NODES.where(_comment.c.id == comment.id))).all()
        [shown] = _Projector(self.principal).nodes(rows)
        return shown

    async def of_event(self, event_id: UUID, only: Sequence[UUID] | None = None) -> list[schemas.CommentOut]:
        """The comments recorded in an event's minutes (staff only; ``only`` those), oldest first."""
        if not isinstance(self.principal, StaffPrincipal):
            raise Forbidden("the minutes of events are for staff")
        stmt = _NODES.where(_comment.c.event_id == event_id)
        if only is not None:
            stmt = stmt.where(_comment.c.id.in_(only))
        stmt = stmt.order_by(_comment.c.created_at, _comment.c.id, _attachment.c.created_at, _attachment.c.id)
        return _Projector(self.principal).nodes((await self.session.execute(stmt)).all())

    async def tree(self, round_id: UUID, filters: CommentFilters, page: PageParams) -> schemas.CommentTree:
        """Top-level threads (a page of them) with all their replies, grouped by section in draft order.

        A thread is listed when any comment in it that the reader may see matches the filters. One
        statement reads the page of threads, their count, every comment in them with its author and
        section (and files); the round itself is read only when that finds nothing (to tell an
        unknown round, 404, from an empty page, and to count the threads before a page past the last
        one).
        """
        audience = Audience.of(self.principal)
        if filters.decision is not None and audience is not Audience.STAFF:
            raise Forbidden("filtering by the facilitators' decision is for staff")
        if isinstance(self.principal, StakeholderPrincipal) and self.principal.round_id != round_id:
            raise NotFound(f"comment round {round_id} does not exist")
        stmt, count = _tree_statements(_TreeShape(audience, FilterShape.of(filters)))
        params = {
            **filter_params(filters),
            "round_id": round_id,
            "person_id": None if audience is Audience.STAFF else self.principal.person_id,  # type: ignore[union-attr]
            "limit": page.limit,
            "offset": page.offset,
        }
        connection = await self.session.connection()
        rows = await fetch_rows(connection, stmt, params)
        total = int(rows[0][_NODE_WIDTH + 1]) if rows else 0
        if not rows:
            # 404 for an unknown round
            await RoundService(self.session, self.settings, self.principal).get(round_id)
            if page.offset:
                total = int((await connection.execute(count, params)).scalar_one())
        return schemas.CommentTree(
            round_id=round_id,
            sections=_Projector(self.principal).by_section(rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def _reader_params(self, round_id: UUID) -> dict[str, Any]:
        audience = Audience.of(self.principal)
        person_id = None if audience is Audience.STAFF else self.principal.person_id  # type: ignore[union-attr]
        return {"round_id": round_id, "person_id": person_id}

    async def thread_counts(self, round_id: UUID) -> dict[str | None, int]:
        """How many threads the reader sees on each section (None: on the whole draft), as ``tree``
        counts them: one grouped read of the round's top-level comments (ix_comment_round_root)."""
        stmt = _thread_counts(Audience.of(self.principal))
        rows = await fetch_rows(await self.session.connection(), stmt, self._reader_params(round_id))
        return {key: int(count) for key, count in rows}

    async def thread_place(self, round_id: UUID, comment_id: UUID) -> tuple[str | None, int] | None:
        """Where the thread of a comment the reader sees stands in its section's listing (threads
        oldest first, as ``tree`` lists one section): the section, and how many threads the reader
        sees before it there. None when the reader does not see the comment's thread."""
        c, root = _comment.c, _root.c
        params = self._reader_params(round_id)
        found = (
            await self.session.execute(
                select(root.section_key, root.created_at, root.id)
                .select_from(
                    _comment.join(_root, root.id == c.thread_id).join(_round, _round.c.id == c.round_id)
                )
                .where(
                    c.id == comment_id,
                    c.round_id == round_id,
                    visible(_comment, Audience.of(self.principal), _round.c.visibility),
                    visible(_root, Audience.of(self.principal), _round.c.visibility),
                ),
                params,
            )
        ).first()
        if found is None:
            return None
        section_key, created_at, root_id = found
        before = select(func.count()).select_from(_comment.join(_round, _round.c.id == c.round_id))
        before = before.where(
            c.round_id == round_id,
            c.parent_id.is_(None),
            c.section_key.is_(None) if section_key is None else c.section_key == section_key,
            tuple_(c.created_at, c.id) < tuple_(created_at, root_id),
            visible(_comment, Audience.of(self.principal), _round.c.visibility),
        )
        return section_key, int((await self.session.execute(before, params)).scalar_one())


_comment, _person, _organisation, _round = comment_table, person_table, organisation_table, round_table
_root = _comment.alias("root")
_section = cast(Table, DocumentSection.__table__)
_attachment = cast(Table, CommentAttachment.__table__)

# Each comment with its author, the organisation it speaks for (or the author's own) and its files.
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
    _comment.c.source,
    _comment.c.event_id,
    _person.c.full_name.label("author_name"),
    _organisation.c.id.label("organisation_id"),
    _organisation.c.name.label("organisation_name"),
    _organisation.c.kind.label("organisation_kind"),
    # One row per file that came with the comment (one row without a file when none did).
    _attachment.c.id.label("file_id"),
    _attachment.c.filename,
    _attachment.c.content_type,
    _attachment.c.size,
).select_from(
    _comment.join(_person, _person.c.id == _comment.c.author_id)
    .outerjoin(_organisation, _organisation.c.id == speaks_for(_comment, _person))
    .outerjoin(_attachment, _attachment.c.comment_id == _comment.c.id)
)


@dataclass(frozen=True)
class _TreeShape:
    """What a tree statement depends on besides its parameters: the reader and the filters given."""

    audience: Audience
    filters: FilterShape


@functools.cache
def _tree_statements(shape: _TreeShape) -> tuple[Select[Any], Select[Any]]:
    """The page of threads with every comment in them, and the count of threads alone; built once
    per shape, the values go in as parameters."""
    c = _comment.c
    conditions = (
        c.round_id == bindparam("round_id"),
        c.parent_id.is_(None),
        visible(_comment, shape.audience, _round.c.visibility),
        thread_matches(c.id, c.section_key, shape.filters, shape.audience, _round.c.visibility),
    )
    threads = _comment.join(_round, _round.c.id == c.round_id)
    if shape.filters.section or shape.filters.whole_draft:  # one section: draft order is creation order
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
        .where(visible(_comment, shape.audience, roots.c.visibility))
        .order_by(c.created_at, c.id, _attachment.c.created_at, _attachment.c.id)
    )
    count = select(func.count()).select_from(threads).where(*conditions)
    return page, count


@functools.cache
def _thread_counts(audience: Audience) -> Select[Any]:
    c = _comment.c
    return (
        select(c.section_key, func.count())
        .select_from(_comment.join(_round, _round.c.id == c.round_id))
        .where(
            c.round_id == bindparam("round_id"),
            c.parent_id.is_(None),
            visible(_comment, audience, _round.c.visibility),
        )
        .group_by(c.section_key)
    )


_NODE_WIDTH = len(_NODES.selected_columns)
_FILE_COLUMNS = slice(_NODE_WIDTH - 4, _NODE_WIDTH)


class _Projector:
    """Turns rows of ``_NODES`` into what one reader may see: authors per attribution, answers to
    their authors."""

    def __init__(self, principal: Principal) -> None:
        self.audience = Audience.of(principal)
        self.person_id = None if isinstance(principal, StaffPrincipal) else principal.person_id

    def add_file(self, comment: schemas.CommentOut, row: Sequence[Any]) -> None:
        """The file of a ``_NODES`` row, if it has one and the reader may see the comment's files."""
        author_id, attribution = row[4], Attribution(row[9])
        file_id, filename, content_type, size = row[_FILE_COLUMNS]
        withdrawn = comment.status is schemas.CommentStatus.WITHDRAWN
        if file_id is not None and sees_files(
            self.audience, author_id, self.person_id, attribution, withdrawn
        ):
            comment.attachments.append(
                schemas.AttachmentOut(
                    id=file_id,
                    comment_id=comment.id,
                    filename=filename,
                    content_type=content_type,
                    size=size,
                    url=schemas.attachment_url(file_id),
                )
            )

    def nodes(self, rows: Sequence[Sequence[Any]]) -> list[schemas.CommentOut]:
        """Comments with their files from ``_NODES`` rows (a comment's rows come together)."""
        found: dict[UUID, schemas.CommentOut] = {}
        for row in rows:
            if row[0] not in found:
                found[row[0]] = self.node(row)
            self.add_file(found[row[0]], row)
        return list(found.values())

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
            source,
            event_id,
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
        full = sees_in_full(self.audience, author_id, self.person_id)
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
            source=CommentSource(source),
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
            hidden_reason=hidden_reason if self.audience is Audience.STAFF else None,
            event_id=event_id,
        )

    def by_section(self, rows: Sequence[Sequence[Any]]) -> list[schemas.SectionThreads]:
        """Threads nested, in the order of their ``rank`` (draft order), grouped by section. A reply
        whose parent the reader may not see is left out with the parent. Rows are ``_NODES`` rows
        followed by rank, total, section number and heading."""
        nodes: dict[UUID, schemas.CommentOut] = {}
        roots: list[tuple[int, schemas.CommentOut, str | None, str | None]] = []
        for row in rows:  # oldest first: parents come before replies; a comment's files follow it
            comment_id, parent_id = row[0], row[3]
            if comment_id in nodes:
                self.add_file(nodes[comment_id], row)
                continue
            if parent_id is None:
                node = nodes[comment_id] = self.node(row)
                rank, _total, number, heading = row[_NODE_WIDTH:]
                roots.append((rank, node, number, heading))
            elif parent_id in nodes:
                node = self.node(row)
                nodes[parent_id].replies.append(node)
                nodes[comment_id] = node
            else:
                continue
            self.add_file(node, row)
        roots.sort(key=lambda found: found[0])
        grouped: dict[str | None, schemas.SectionThreads] = {}
        for _, root, number, heading in roots:
            key = root.section_key
            if key not in grouped:
                grouped[key] = schemas.SectionThreads(key=key, number=number, heading=heading, threads=[])
            grouped[key].threads.append(root)
        return list(grouped.values())
