from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import async_sessionmaker

from consult.auth.principals import TokenResolver
from consult.auth.service import resolve_staff_token
from consult.auth.tokens import STAFF_PREFIX
from consult.rounds.links import ROUND_LINK_PREFIX, resolve_round_token

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="consult"'}

RESOLVERS: dict[str, TokenResolver] = {
    STAFF_PREFIX: resolve_staff_token,
    ROUND_LINK_PREFIX: resolve_round_token,
}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Turns ``Authorization: Bearer <token>`` into ``request.user`` (a principal) or a 401."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
        resolver = next((r for prefix, r in RESOLVERS.items() if token.startswith(prefix)), None)
        principal = None
        if resolver is not None:
            sessionmaker: async_sessionmaker = connection.app.state.db_sessionmaker  # type: ignore[type-arg]
            async with sessionmaker() as session:
                principal = await resolver(session, token)
        if principal is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked", headers=_CHALLENGE)
        return AuthenticationResult(user=principal, auth=token)
