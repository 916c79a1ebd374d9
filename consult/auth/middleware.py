from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

from consult.auth.principals import TokenResolver
from consult.auth.service import resolve_staff_token
from consult.auth.tokens import STAFF_PREFIX
from consult.rounds.links import ROUND_LINK_PREFIX, resolve_round_token
from consult.sessions import close_request_session, token_session

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="consult"'}

RESOLVERS: dict[str, TokenResolver] = {
    STAFF_PREFIX: resolve_staff_token,
    ROUND_LINK_PREFIX: resolve_round_token,
}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Turns ``Authorization: Bearer <token>`` into ``request.user`` (a principal) or a 401.

    A read looks the token up in its own database session, which the handler then goes on with.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await close_request_session(scope)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
        resolver = next((r for prefix, r in RESOLVERS.items() if token.startswith(prefix)), None)
        principal = None
        if resolver is not None:
            async with token_session(connection) as session:
                principal = await resolver(session, token)
        if principal is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked", headers=_CHALLENGE)
        return AuthenticationResult(user=principal, auth=token)
