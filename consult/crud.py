"""Small helpers the domain services share for reading, paging, patching and deleting rows, and the
one way a row becomes what the API returns.

The convention: services take and return ORM rows (or plain dataclasses of rows); controllers turn
them into response schemas with ``Schema.from_model(row, ...)``, where every such schema is a
``ModelOut``. Every paged list goes through ``page_of``.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consult.errors import Conflict, NotFound
from consult.pagination import PageParams

M = TypeVar("M")


async def get_or_404(session: AsyncSession, model: type[M], id_: UUID, label: str) -> M:
    row = await session.get(model, id_)
    if row is None:
        raise NotFound(f"{label} {id_} does not exist")
    return row


async def page_of(session: AsyncSession, stmt: Select[M], page: PageParams) -> tuple[list[M], int]:
    """One page of the statement's rows (its first entity) and how many rows there are in all."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.scalars(stmt.limit(page.limit).offset(page.offset))).all()
    return list(rows), int(total or 0)


class ModelOut(msgspec.Struct):
    """A response schema read off one ORM row: each field is the row's attribute of the same name,
    unless given by keyword (a computed or renamed field). A schema that always computes some
    fields the same way overrides ``from_model`` and passes them on to this one."""

    @classmethod
    def from_model(cls, row: Any, **computed: Any) -> Self:
        read = {name: getattr(row, name) for name in cls.__struct_fields__ if name not in computed}
        return cls(**read, **computed)


def patch_fields(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually carries (msgspec.UNSET means "not sent")."""
    return {
        name: value
        for name in patch.__struct_fields__
        if (value := getattr(patch, name)) is not msgspec.UNSET
    }


async def delete_unless_referenced(session: AsyncSession, row: Any, label: str) -> None:
    """Delete, or refuse with 409 when foreign keys (ON DELETE RESTRICT) still point at the row."""
    await session.delete(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"{label} is still referenced by other records; remove those first") from exc
