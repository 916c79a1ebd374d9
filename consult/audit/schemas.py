from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from consult.audit.models import ActorKind
from consult.crud import ModelOut


class AuditEntryOut(ModelOut):
    id: UUID
    created_at: dt.datetime
    actor_kind: ActorKind
    actor_id: UUID | None
    actor_label: str
    address: str | None
    entity_type: str
    entity_id: UUID | None
    action: str
    fields: list[str]
    changes: dict[str, Any] | None
