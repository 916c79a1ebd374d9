from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.models import ActorKind, AuditEntry
from consult.crud import page_of
from consult.pagination import PageParams


@dataclass(frozen=True)
class AuditFilters:
    actor_kind: ActorKind | None = None
    actor_id: UUID | None = None
    entity_type: str | None = None
    entity_id: UUID | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def list_entries(
    session: AsyncSession, filters: AuditFilters, page: PageParams
) -> tuple[list[AuditEntry], int]:
    """Newest first; ``since`` is inclusive and ``until`` exclusive."""
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    equal = {
        AuditEntry.actor_kind: filters.actor_kind,
        AuditEntry.actor_id: filters.actor_id,
        AuditEntry.entity_type: filters.entity_type,
        AuditEntry.entity_id: filters.entity_id,
        AuditEntry.action: filters.action,
    }
    for column, wanted in equal.items():
        if wanted is not None:
            stmt = stmt.where(column == wanted)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.created_at < filters.until)
    return await page_of(session, stmt, page)


async def forget_values(session: AsyncSession, entity_type: str, entity_id: UUID) -> None:
    """Drop the values recorded about one row, keeping that it changed, when and by whom: an erasure
    of personal data (GDPR art. 17) calls this after its own changes are flushed, so that neither the
    old values nor the erasure's show in the log."""
    await session.flush()
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .values(changes=None)
    )


async def forget_values_mentioning(session: AsyncSession, texts: Iterable[str]) -> None:
    """Drop the values of every entry that quotes one of ``texts`` (a name, an address), as stored:
    an erased person's name may stand in the old value of any row a staff change touched (a comment
    hidden with a reason that names them, the erasure's own rewrites)."""
    await session.flush()
    # JSON keeps non-ASCII text escaped (\u0418...): look for both spellings.
    spellings = {form for text in texts if text for form in (text, json.dumps(text)[1:-1])}
    if not spellings:
        return
    stored = cast(AuditEntry.changes, String)
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.changes.is_not(None), or_(*(stored.ilike(f"%{form}%") for form in spellings)))
        .values(changes=None)
        .execution_options(synchronize_session=False)
    )
