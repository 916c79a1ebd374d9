"""Route guards by staff role. Reading the directory is open to all staff; changing it is not; the
mail gateway's role reaches the intake endpoint only.

Guards are coroutines: Litestar runs a plain function guard in a worker thread, on every request.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from consult.auth.models import Role
from consult.auth.principals import StaffPrincipal


class StaffGuard:
    """Lets staff with one of ``roles`` through; the roles are readable (the API document says who
    may call each operation from them, consult/openapi.py)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, StaffPrincipal) or not principal.has_role(*self.roles):
            wanted = ", ".join(r.value for r in self.roles)
            raise PermissionDeniedException(f"this needs a staff token with role {wanted}")


def staff_with(*roles: Role) -> Guard:
    return StaffGuard(*roles)


any_staff = staff_with(Role.ADMIN, Role.ORGANISER, Role.FACILITATOR)
organisers = staff_with(Role.ADMIN, Role.ORGANISER)
admins = staff_with(Role.ADMIN)
facilitators = staff_with(Role.ADMIN, Role.FACILITATOR)
intake = staff_with(Role.ADMIN, Role.INTAKE)

# Route option of the routes a mail gateway's token (role intake) may use.
_FOR_INTAKE = "for_intake"
FOR_INTAKE = {_FOR_INTAKE: True}


async def intake_stays_in_its_lane(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """An app-wide guard: a token with role intake hands over mail and does nothing else, also on the
    routes open to every principal (stakeholders included)."""
    principal = connection.scope.get("user")
    if (
        isinstance(principal, StaffPrincipal)
        and principal.role is Role.INTAKE
        and not handler.opt.get(_FOR_INTAKE)
    ):
        raise PermissionDeniedException("a token with role intake may only hand over mail")
