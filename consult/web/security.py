"""Response headers that every answer carries (OWASP ASVS 14.4), and CORS, off unless configured.

Added in Litestar's ``before_send`` hook, which sees every response the app sends: the handlers',
the problems of the exception handlers, and the 404/405 of paths no route matches.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from consult.settings import Settings

# The pages use no script at all (they work without JavaScript) and only their own inline styles;
# they must not be framed (click-jacking a comment form) and post only to themselves.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
# The schema's documentation UI brings scripts of its own; its policy is its own (``/schema``).
_OWN_POLICY_PATHS = ("/schema",)


def security_headers(settings: Settings, no_store_paths: Sequence[str]) -> BeforeMessageSendHookHandler:
    """The hook that adds them; ``no_store_paths`` start the paths whose responses carry a
    credential (personal links, the API): never stored by a browser or a proxy."""
    https = settings.app.base_url.startswith("https://")
    no_store = tuple(no_store_paths)

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        # Page addresses hold tokens, and pages link to meeting sites: no address leaves in Referer.
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        if https:
            headers["Strict-Transport-Security"] = HSTS
        path: str = scope["path"]
        content_type = headers.get("content-type", "")
        if content_type.startswith("text/html") and not path.startswith(_OWN_POLICY_PATHS):
            headers["Content-Security-Policy"] = PAGE_POLICY
        if path.startswith(no_store) and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"

    return add_headers


def cors_config(settings: Settings) -> CORSConfig | None:
    """Only the configured origins, with bearer tokens (no cookies: credentials stay off)."""
    if not settings.app.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.app.cors_origins),
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        expose_headers=["Retry-After", "Location", "Content-Disposition"],
    )
