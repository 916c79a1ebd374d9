from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Self
from uuid import UUID

from msgspec import Meta, Struct

from consult.auth.models import Role
from consult.crud import ModelOut


class StaffUserOut(ModelOut):
    id: UUID
    email: str
    role: Role
    active: bool
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: Any, **computed: Any) -> Self:
        return super().from_model(row, active=row.is_active, **computed)


class StaffTokenOut(ModelOut):
    """A token as it is listed: never the token itself, only its first characters."""

    id: UUID
    prefix: str
    label: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None  # to the minute
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class TokenCreate(Struct, forbid_unknown_fields=True):
    label: Annotated[str, Meta(max_length=200)] = ""
    days: (
        Annotated[int, Meta(ge=1, le=3650, description="lifetime; default CONSULT_STAFF_TOKEN_DAYS")] | None
    ) = None


class TokenIssued(StaffTokenOut):
    token: str  # shown only in this answer: only its digest is kept
