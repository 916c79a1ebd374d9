from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.models import ActorKind
from consult.audit.schemas import AuditEntryOut
from consult.audit.service import AuditFilters, list_entries
from consult.auth.guards import admins
from consult.errors import Invalid
from consult.pagination import Page, PageParams
from consult.types import AwareTime

_Text = Annotated[str | None, Parameter(max_length=64)]


def _aware(moment: dt.datetime | None, field: str) -> dt.datetime | None:
    # Query parameters are not held to AwareTime's offset: a time without one is ambiguous.
    if moment is not None and moment.tzinfo is None:
        raise Invalid.field(field, "needs an offset (ISO 8601, e.g. 2026-11-30T10:00:00+00:00)")
    return moment


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", guards=[admins])
    async def list_audit_entries(
        self,
        db_session: AsyncSession,
        page: PageParams,
        actor_kind: ActorKind | None = None,
        actor_id: UUID | None = None,
        entity_type: _Text = None,
        entity_id: UUID | None = None,
        action: _Text = None,
        since: Annotated[AwareTime | None, Parameter(query="from", description="inclusive")] = None,
        until: Annotated[AwareTime | None, Parameter(query="to", description="exclusive")] = None,
    ) -> Page[AuditEntryOut]:
        """Every recorded change, newest first (admins only). Filters: who acted (``actor_kind``,
        ``actor_id``: a staff user's or a person's id), what (``entity_type`` is a table name such as
        ``person``, ``entity_id``), ``action`` (create, update, delete) and the time range ``from``
        (inclusive) to ``to`` (exclusive)."""
        filters = AuditFilters(
            actor_kind, actor_id, entity_type, entity_id, action, _aware(since, "from"), _aware(until, "to")
        )
        rows, total = await list_entries(db_session, filters, page)
        return Page.of([AuditEntryOut.from_model(row) for row in rows], total, page)
