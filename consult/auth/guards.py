"""Route guards by staff role. Reading the directory is open to all staff; changing it is not."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from consult.auth.models import Role
from consult.auth.principals import StaffPrincipal


def staff_with(*roles: Role) -> Guard:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, StaffPrincipal) or not principal.has_role(*roles):
            wanted = ", ".join(r.value for r in roles)
            raise PermissionDeniedException(f"this needs a staff token with role {wanted}")

    return guard


any_staff = staff_with(Role.ADMIN, Role.ORGANISER, Role.FACILITATOR)
organisers = staff_with(Role.ADMIN, Role.ORGANISER)
admins = staff_with(Role.ADMIN)
facilitators = staff_with(Role.ADMIN, Role.FACILITATOR)
intake = staff_with(Role.ADMIN, Role.INTAKE)
