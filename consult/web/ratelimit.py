"""Rate limits: what a real consultation never reaches and a script soon does (settings.rate_limits).

Four limits, each Litestar's rate-limit middleware with its own key, counted per minute in Redis
when the deployment has one (shared by every API process), in memory otherwise:

- ``link pages``: requests per client address to the routes that carry a personal link's token in
  their path. Routes join by declaration: a router or handler with ``opt=LINK_ROUTE``.
- ``failed lookups``: unknown or expired tokens per client address, a bearer token the API refuses
  (401) or a link route's token that leads nowhere (404); past the limit, every request of that
  address that presents a token is refused until the minute is over.
- ``link writes``: comments, edits and uploads per personal link, through its page or the API.
- ``api``: API requests per bearer token.

Over a limit: 429 with ``Retry-After``, a problem for programs and a short page in the reader's
language for browsers. A limiter whose store does not answer (Redis down) lets requests through:
the API keeps working without its broker, and so must its limits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import Message, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from consult.auth.tokens import STAFF_PREFIX
from consult.errors import problem_response
from consult.settings import Settings
from consult.web.pages import browser_language, render_page, wants_html

logger = logging.getLogger(__name__)

STORE_NAME = "rate_limit"
_OPT_KEY = "rate_limit"
# Routes (a router, a controller or a handler) whose path carries a personal link's token.
LINK_ROUTE = {_OPT_KEY: "link"}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The store must answer fast or not at all: a request never waits on a limiter.
_REDIS_TIMEOUT_SECONDS = 0.5


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _digest(token: str) -> str:
    """Keys hold a digest: the store is no place for credentials."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _bearer(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _is_link_route(request: Request[Any, Any, Any]) -> bool:
    return bool(request.route_handler.opt.get(_OPT_KEY) == "link")


def _link_token(request: Request[Any, Any, Any]) -> str:
    """The personal link a request acts through: in a link route's path, or as an API bearer token
    that is not a staff token."""
    if _is_link_route(request):
        return str(request.path_params.get("token", ""))
    token = _bearer(request)
    return token if token and not token.startswith(STAFF_PREFIX) else ""


def _presents_token(request: Request[Any, Any, Any]) -> bool:
    return _is_link_route(request) or bool(_bearer(request))


class Limiter(RateLimitMiddleware):
    """Litestar's, with the limit's headers on its 429 only, not on every answer (several limits
    apply to one request, and their headers would overwrite each other)."""

    def create_send_wrapper(self, send: Send, cache_object: CacheObject) -> Send:
        return send


class FailedLookupLimit(Limiter):
    """Counts only the requests whose token was refused, and refuses an address over the limit."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope)
        if not await self.should_check_request(request):
            await self.app(scope, receive, send)
            return
        store = self.config.get_store_from_app(app)
        key = self.cache_key_from_request(request)
        history = await self.retrieve_cached_history(key, store)
        if len(history.history) >= self.max_requests:
            raise TooManyRequestsException(headers=self.create_response_headers(cache_object=history))
        status = 0

        async def watch_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch_status)
        except NotAuthorizedException:
            status = 401
            raise
        finally:
            if status == 401 or (status == 404 and _is_link_route(request)):
                async with self._lock:
                    history = await self.retrieve_cached_history(key, store)
                    await self.set_cached_history(key=key, cache_object=history, store=store)


@dataclass(frozen=True)
class _Limit:
    name: str
    per_minute: int
    identify: Callable[[Request[Any, Any, Any]], str]
    applies: Callable[[Request[Any, Any, Any]], bool]
    middleware_class: type[Limiter] = Limiter

    def middleware(self) -> DefineMiddleware:
        def identifier(request: Request[Any, Any, Any]) -> str:
            return f"{self.name}:{self.identify(request)}"

        # Async, as Litestar runs a plain function given here in a worker thread: four thread hops
        # per request otherwise.
        async def applies(request: Request[Any, Any, Any]) -> bool:
            return self.applies(request)

        return RateLimitConfig(
            rate_limit=("minute", self.per_minute),
            identifier_for_request=identifier,
            check_throttle_handler=applies,
            middleware_class=self.middleware_class,
            store=STORE_NAME,
        ).middleware


def rate_limit_middleware(settings: Settings) -> list[DefineMiddleware]:
    """Outermost first: an address that guesses tokens is refused before anything else looks."""
    limits = settings.rate_limits
    return [
        _Limit(
            "failed-lookups", limits.failed_lookups, _address, _presents_token, FailedLookupLimit
        ).middleware(),
        _Limit("link-pages", limits.link_pages, _address, _is_link_route).middleware(),
        _Limit("api", limits.api, lambda r: _digest(_bearer(r)), lambda r: bool(_bearer(r))).middleware(),
        _Limit(
            "link-writes",
            limits.link_posts,
            lambda r: _digest(_link_token(r)),
            lambda r: r.method not in _SAFE_METHODS and bool(_link_token(r)),
        ).middleware(),
    ]


class FailOpenStore(Store):
    """A store whose failures let the request through (logged), instead of failing it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        try:
            await self.store.set(key, value, expires_in)
        except (RedisError, OSError):
            logger.warning("rate-limit store unavailable; not counting", exc_info=True)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            return await self.store.get(key, renew_for)
        except (RedisError, OSError):
            logger.warning("rate-limit store unavailable; not limiting", exc_info=True)
            return None

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def delete_all(self) -> None:
        await self.store.delete_all()

    async def exists(self, key: str) -> bool:
        return await self.store.exists(key)

    async def expires_in(self, key: str) -> int | None:
        return await self.store.expires_in(key)

    async def __aexit__(self, *exc_info: object) -> None:
        await self.store.__aexit__(*exc_info)  # type: ignore[arg-type]


def rate_limit_store(settings: Settings) -> FailOpenStore:
    """In Redis (namespaced by the deployment's queue name) when configured, else in this process."""
    if settings.broker.embedded:
        return FailOpenStore(MemoryStore())
    redis = Redis.from_url(
        settings.broker.url,
        socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
        socket_timeout=_REDIS_TIMEOUT_SECONDS,
    )
    namespace = f"{settings.broker.queue}:rate-limit"
    return FailOpenStore(RedisStore(redis, namespace=namespace, handle_client_shutdown=True))


def too_many_requests(request: Request[Any, Any, Any], exc: TooManyRequestsException) -> Response[Any]:
    """429 with Retry-After (the seconds until the limit's minute is over)."""
    reset = (exc.headers or {}).get("RateLimit-Reset", "60")
    headers = {"Retry-After": str(max(1, int(reset)))}
    if wants_html(request):
        html = render_page("too_many_requests", browser_language(request), {})
        return Response(html, status_code=429, media_type=MediaType.HTML, headers=headers)
    return problem_response(
        request,
        status=429,
        title="Too many requests",
        detail="Too many requests from this client; try again after the time Retry-After gives.",
        headers=headers,
    )
