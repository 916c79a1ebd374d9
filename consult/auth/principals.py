"""Who is asking. Staff authenticate with staff tokens; later kinds of principal (stakeholders with
personal links) plug in as further resolvers keyed by token prefix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.models import Role


@dataclass(frozen=True)
class StaffPrincipal:
    user_id: UUID
    email: str
    role: Role

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


Principal = StaffPrincipal

TokenResolver = Callable[[AsyncSession, str], Awaitable[Principal | None]]
