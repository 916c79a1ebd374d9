"""Stakeholder pages in the reader's language, from ``templates/pages/<name>.html`` beside this module.

The controllers that serve them (consult.rounds.pages, consult.invitations.controller,
consult.inbound.controller) build the context; the pages share the emails' labels, macros, message
catalogs and Jinja set-up (consult.mail.render). A browser that fails on one of those routes gets a
page too, never problem details (``for_browsers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.types import ExceptionHandlersMap

from consult.mail.i18n import best_language
from consult.mail.render import template_environment

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Personal links must not reach other sites through Referer, nor be kept by a shared computer's cache.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

# The routes of the pages opened from email links, and the kind of link each is (link_invalid.html
# names it, so a comment-round link is not spoken of as an event invitation).
LINK_KINDS = {
    "/rsvp/": "invitation",
    "/r/": "round",
    "/unsubscribe/": "unsubscribe",
    "/p/": "personal",
    "/poll/": "poll",
}


def render_page(name: str, language: str, context: Mapping[str, Any]) -> str:
    """The HTML page ``name`` in ``language`` (unknown languages get English)."""
    env = template_environment(best_language(language), TEMPLATES_DIR)
    return env.get_template(f"pages/{name}.html").render(context)


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser (Accept names text/html, not first application/json), not an API client."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",", 1)[0]


def browser_language(request: Request[Any, Any, Any]) -> str:
    """The reader's language from Accept-Language, for pages that know no person."""
    first = request.headers.get("accept-language", "").split(",", 1)[0]
    return best_language(first.split(";", 1)[0])


def link_kind(path: str) -> str | None:
    return next((kind for prefix, kind in LINK_KINDS.items() if path.startswith(prefix)), None)


def invalid_link(
    request: Request[Any, Any, Any], language: str | None = None, kind: str | None = None
) -> Response[str]:
    """404 for an unknown, expired or withdrawn personal link: in the reader's ``language`` when a
    valid link of theirs led there, else the browser's; about the ``kind`` of link (by default the
    route's, see LINK_KINDS)."""
    context = {"link_kind": kind or link_kind(request.url.path)}
    html = render_page("link_invalid", language or browser_language(request), context)
    return Response(html, media_type=MediaType.HTML, status_code=404, headers=NO_STORE)


def _error_page(request: Request[Any, Any, Any], status: int) -> Response[str]:
    if status == 404:
        return invalid_link(request)
    html = render_page("error", browser_language(request), {"status": status})
    return Response(html, media_type=MediaType.HTML, status_code=status, headers=NO_STORE)


Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def _html_for_browsers(handler: Handler) -> Handler:
    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)  # it also logs what must be logged
        if link_kind(request.url.path) is None or not wants_html(request):
            return response
        return _error_page(request, response.status_code or 500)

    return handle


def for_browsers(handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """The same handlers, except that a browser failing on a page route gets a localised HTML page."""
    return {error: _html_for_browsers(handler) for error, handler in handlers.items()}
