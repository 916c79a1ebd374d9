"""Access logs without credentials: personal links carry their token in the path (``/r/csr_…``,
``/rsvp/rsvp_…``, ``/unsubscribe/…``), and anyone who reads a log line holding one could act as
its owner. A filter on uvicorn's access logger masks those path segments before any handler
formats the line; the app installs it (consult.app), so `consult serve`, `consult dev` and a
plain `uvicorn consult.app:create_app` all log the masked form."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

ACCESS_LOGGER = "uvicorn.access"
MASK = "***"


class TokenMaskingFilter(logging.Filter):
    """Masks, in an access log record's path, every segment that starts with a token prefix (the
    prefix stays, telling which kind of link it was) and the segment after each token route."""

    def __init__(self, token_prefixes: Iterable[str], token_routes: Iterable[str]) -> None:
        super().__init__()
        prefixes = "|".join(re.escape(prefix) for prefix in sorted(token_prefixes, key=len, reverse=True))
        routes = "|".join(re.escape(route.strip("/")) for route in token_routes)
        # A segment ends at "/", "?" or "#"; a token may also sit in the query (?token=csr_…).
        self._prefixed = re.compile(rf"(?<=[/=])({prefixes})[^/?&#\s]+")
        self._routed = re.compile(rf"^/({routes})/(?!{prefixes})[^/?#\s]+")

    def mask(self, path: str) -> str:
        path = self._routed.sub(rf"/\1/{MASK}", path)
        return self._prefixed.sub(rf"\1{MASK}", path)

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs '%s - "%s %s HTTP/%s" %d' with (client, method, path, http version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], self.mask(args[2]), *args[3:])
        return True


def mask_tokens_in_access_log(token_prefixes: Iterable[str], token_routes: Iterable[str]) -> None:
    """Installs the filter once per process (the app may be built more than once, as in tests)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, TokenMaskingFilter)]:
        logger.removeFilter(old)
    logger.addFilter(TokenMaskingFilter(token_prefixes, token_routes))
