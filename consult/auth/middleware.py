from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from consult.auth.principals import TokenResolver
from consult.auth.service import resolve_staff_token
from consult.auth.tokens import STAFF_PREFIX
from consult.sessions import close_request_session, token_session

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="consult"'}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Turns ``Authorization: Bearer <token>`` into ``request.user`` (a principal) or a 401.

    Each kind of token has a resolver, keyed by the token's prefix. Staff tokens are auth's own; the
    packages above that issue personal links as bearer tokens (comment rounds) hand their resolvers
    in as ``link_resolvers`` when the app is assembled, so auth never imports them.

    A read looks the token up in its own database session, which the handler then goes on with.
    """

    def __init__(self, app: ASGIApp, *, link_resolvers: Mapping[str, TokenResolver], **options: Any) -> None:
        super().__init__(app, **options)
        if STAFF_PREFIX in link_resolvers:
            raise ValueError(f"the prefix {STAFF_PREFIX!r} is taken by staff tokens")
        self.resolvers: dict[str, TokenResolver] = {STAFF_PREFIX: resolve_staff_token, **link_resolvers}

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
        resolver = next((r for prefix, r in self.resolvers.items() if token.startswith(prefix)), None)
        principal = None
        if resolver is not None:
            async with token_session(connection) as session:
                principal = await resolver(session, token)
        if principal is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked", headers=_CHALLENGE)
        return AuthenticationResult(user=principal, auth=token)
