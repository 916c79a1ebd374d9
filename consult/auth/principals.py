"""Who is asking. Staff authenticate with staff tokens, stakeholders with the token of a personal
round or questionnaire link; each kind of token has a resolver, keyed by its prefix (consult.auth.middleware; the
app hands it the resolvers of the link tokens, which live in the packages that issue them)."""

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


@dataclass(frozen=True)
class StakeholderPrincipal:
    """An invitee holding the personal link of one comment round: reads that round, writes comments."""

    person_id: UUID
    round_id: UUID


@dataclass(frozen=True)
class RespondentPrincipal:
    """An invitee holding the personal link of one questionnaire: reads it, writes the response their
    link answers (their own, or their organisation's official one)."""

    person_id: UUID
    questionnaire_id: UUID
    invitee_id: UUID


Principal = StaffPrincipal | StakeholderPrincipal | RespondentPrincipal

TokenResolver = Callable[[AsyncSession, str], Awaitable[Principal | None]]
