from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth import staff
from consult.auth.guards import admins
from consult.auth.schemas import StaffTokenOut, StaffUserOut, TokenCreate, TokenIssued
from consult.pagination import Page, PageParams


class StaffUserController(Controller):
    """Staff users and their bearer tokens (admins only; ``consult users`` does the same from a shell)."""

    path = "/api/v1/staff-users"
    tags = ["staff users"]
    guards = [admins]

    @get("/")
    async def list_staff_users(self, db_session: AsyncSession, page: PageParams) -> Page[StaffUserOut]:
        """Staff users by email: role, whether active, when created."""
        rows, total = await staff.list_users(db_session, page)
        return Page.of([StaffUserOut.from_model(row) for row in rows], total, page)

    @get("/{user_id:uuid}/tokens")
    async def list_tokens(self, db_session: AsyncSession, user_id: UUID) -> list[StaffTokenOut]:
        """The user's tokens, newest first: first characters, label, created, last used (to the
        minute), expiry, revocation. Never the tokens themselves."""
        return [StaffTokenOut.from_model(row) for row in await staff.tokens_of(db_session, user_id)]

    @post("/{user_id:uuid}/tokens")
    async def create_token(
        self, db_session: AsyncSession, state: State, user_id: UUID, data: TokenCreate
    ) -> TokenIssued:
        """A new token for an active user, shown in this answer only."""
        days = data.days or state.settings.app.staff_token_days
        row, token = await staff.create_token(db_session, user_id, data.label, days)
        return TokenIssued.from_model(row, token=token)

    @post("/{user_id:uuid}/tokens/{token_id:uuid}/revoke", status_code=200)
    async def revoke_token(self, db_session: AsyncSession, user_id: UUID, token_id: UUID) -> StaffTokenOut:
        """The token stops working at once."""
        return StaffTokenOut.from_model(await staff.revoke_token(db_session, user_id, token_id))

    @post("/{user_id:uuid}/deactivate", status_code=200)
    async def deactivate(self, db_session: AsyncSession, user_id: UUID) -> StaffUserOut:
        """The user's tokens stop working at once and are revoked; the last active admin stays (409)."""
        return StaffUserOut.from_model(await staff.deactivate_user(db_session, user_id))
