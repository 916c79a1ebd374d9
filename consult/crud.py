"""Small helpers the domain services share for reading, paging, patching and deleting rows, and the
one way a row becomes what the API returns.

The convention: services take and return ORM rows (or plain dataclasses of rows); controllers turn
them into response schemas with ``Schema.from_model(row, ...)``, where every such schema is a
``ModelOut``. Every paged list goes through ``page_of``. A service over one kind of row is a
``RowService``; ``RowRoutes`` gives its controller the create, read, update and delete handlers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Collection, Sequence
from operator import attrgetter
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

import msgspec
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.types import Guard
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consult.errors import Conflict, NotFound
from consult.pagination import Page, PageParams

M = TypeVar("M")
Out = TypeVar("Out", bound="ModelOut")


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


async def rows_by_person(
    session: AsyncSession, model: type[M], scope: ColumnElement[bool], person_ids: Collection[UUID]
) -> dict[UUID, M]:
    """The rows of ``model`` within ``scope`` (one event's invitations, one round's invitees) that
    these people already have, by person id."""
    person_id = attrgetter("person_id")
    rows = await session.scalars(select(model).where(scope, person_id(model).in_(person_ids)))
    return {person_id(row): row for row in rows.all()}


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


class RowService(Generic[M]):
    """A service over one kind of row: ``get`` answers 404 for a missing row, ``delete`` 409 while
    other rows still point at it. Subclasses name the model and how messages call it."""

    model: ClassVar[type[Any]]
    label: ClassVar[str]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, row_id: UUID) -> M:
        row: M = await get_or_404(self.session, self.model, row_id, self.label)
        return row

    async def delete(self, row_id: UUID) -> None:
        await delete_unless_referenced(self.session, await self.get(row_id), f"the {self.label}")

    async def add(self, row: M) -> M:
        """Store a new row, flushed so its id and server defaults are known."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def apply_patch(self, row_id: UUID, patch: msgspec.Struct, clean: Callable[[str, Any], Any]) -> M:
        """Set the fields the PATCH body carries, each value as ``clean(name, value)`` gives it."""
        row = await self.get(row_id)
        for name, value in patch_fields(patch).items():
            setattr(row, name, clean(name, value))
        await self.session.flush()
        return row


class _RowRoute(HTTPRouteHandler):
    """A handler built by ``RowRoutes``: it takes its name from the controller attribute it is
    assigned to, and reads (in logs, OpenAPI and litestar's ordering) as a handler written there."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.fn.__name__ = name
        self.fn.__qualname__ = f"{owner.__qualname__}.{name}"
        self.fn.__module__ = owner.__module__


class RowRoutes(Generic[M, Out]):
    """The create, read, update and delete handlers of one kind of row, for controllers to assign:
    ``create`` is POST /, ``read``, ``update`` (PATCH) and ``delete`` are on ``/{<id_name>:uuid}``.
    Each handler has the parameters and types one written out by hand would have, and the name of
    the attribute it is assigned to, so the routes and the OpenAPI document read the same.

    ``service`` is built per request from the session; ``present`` turns a row into the response
    (by default ``out.from_model(row)``)."""

    def __init__(
        self,
        id_name: str,
        service: Callable[[AsyncSession], RowService[M]],
        out: type[Out],
        *,
        read: Sequence[Guard],
        write: Sequence[Guard],
        present: Callable[[Any, M], Awaitable[Out]] | None = None,
    ) -> None:
        self.id_name = id_name
        self.service = service
        self.out = out
        self.read_guards = list(read)
        self.write_guards = list(write)
        self.present = present

    async def _respond(self, service: Any, row: M) -> Out:
        if self.present is not None:
            return await self.present(service, row)
        return self.out.from_model(row)

    def _route(
        self,
        method: HttpMethod,
        path: str,
        guards: list[Guard],
        params: dict[str, Any],
        returns: Any,
        body: Callable[..., Awaitable[Any]],
        *,
        optional: Collection[str] = (),
    ) -> HTTPRouteHandler:
        """A route whose handler has the signature ``(self, **params) -> returns`` as litestar reads
        it; the ``optional`` parameters default to None."""

        async def handler(self: Any, **kwargs: Any) -> Any:
            return await body(**kwargs)

        handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            + [
                inspect.Parameter(
                    name,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    annotation=annotation,
                    default=None if name in optional else inspect.Parameter.empty,
                )
                for name, annotation in params.items()
            ],
            return_annotation=returns,
        )
        handler.__annotations__ = {**params, "return": returns}
        return _RowRoute(path, http_method=method, guards=guards)(handler)

    def list(self, item: type[Any] | None = None, **filters: Any) -> HTTPRouteHandler:
        """A page of rows, each as ``item`` (by default ``out``); ``filters`` are the optional query
        parameters (name and type) passed on to the service's ``list``."""
        item_out: Any = item or self.out

        async def list_rows(db_session: AsyncSession, page: PageParams, **given: Any) -> Page[Any]:
            service: Any = self.service(db_session)
            rows, total = await service.list(page, **given)
            return Page.of([item_out.from_model(row) for row in rows], total, page)

        params = {"db_session": AsyncSession, "page": PageParams, **filters}
        return self._route(
            HttpMethod.GET, "/", self.read_guards, params, Page[item_out], list_rows, optional=filters
        )

    def create(self, data: type[Any]) -> HTTPRouteHandler:
        async def create(db_session: AsyncSession, data: Any) -> Out:
            service: Any = self.service(db_session)  # create and update are each service's own
            return await self._respond(service, await service.create(data))

        params = {"db_session": AsyncSession, "data": data}
        return self._route(HttpMethod.POST, "/", self.write_guards, params, self.out, create)

    def read(self) -> HTTPRouteHandler:
        async def read(db_session: AsyncSession, **ids: UUID) -> Out:
            service = self.service(db_session)
            return await self._respond(service, await service.get(ids[self.id_name]))

        params = {"db_session": AsyncSession, self.id_name: UUID}
        return self._route(HttpMethod.GET, self._item_path, self.read_guards, params, self.out, read)

    def update(self, data: type[Any]) -> HTTPRouteHandler:
        async def update(db_session: AsyncSession, data: Any, **ids: UUID) -> Out:
            service: Any = self.service(db_session)
            return await self._respond(service, await service.update(ids[self.id_name], data))

        params = {"db_session": AsyncSession, self.id_name: UUID, "data": data}
        return self._route(HttpMethod.PATCH, self._item_path, self.write_guards, params, self.out, update)

    def delete(self) -> HTTPRouteHandler:
        async def delete(db_session: AsyncSession, **ids: UUID) -> None:
            await self.service(db_session).delete(ids[self.id_name])

        params = {"db_session": AsyncSession, self.id_name: UUID}
        return self._route(HttpMethod.DELETE, self._item_path, self.write_guards, params, None, delete)

    @property
    def _item_path(self) -> str:
        return f"/{{{self.id_name}:uuid}}"
