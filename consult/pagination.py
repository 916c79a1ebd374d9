"""The shared list envelope: ``{"items": [...], "total": N, "limit": L, "offset": O}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import Parameter

T = TypeVar("T")

MAX_PAGE_SIZE = 200
# PostgreSQL takes OFFSET as a bigint; no list comes near this, and a larger value is a 422 naming ``offset``.
MAX_OFFSET = 2**31 - 1


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], total: int, params: PageParams) -> Page[T]:
        return cls(items=items, total=total, limit=params.limit, offset=params.offset)


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def provide_page_params(
    limit: Annotated[int, Parameter(query="limit", ge=1, le=MAX_PAGE_SIZE, description="page size")] = 50,
    offset: Annotated[int, Parameter(query="offset", ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)
