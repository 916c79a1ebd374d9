"""The page behind a personal round link, ``/r/{token}``: the draft with the comments the reader
may see, and forms that post to ``/r/{token}/comments`` and come back to the page.

The token in the path is the credential; the page reads and writes through the same services as
the API, as the link's stakeholder principal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.recording import Actor, act_as
from consult.auth.principals import StakeholderPrincipal
from consult.crud import get_or_404
from consult.directory.models import Person
from consult.drafts.models import Document, DocumentVersion
from consult.drafts.service import VersionService
from consult.errors import ConsultError
from consult.mail.i18n import best_language, format_when
from consult.pagination import MAX_PAGE_SIZE, PageParams
from consult.rounds import schemas
from consult.rounds.links import resolve_round_token
from consult.rounds.listing import ListingService
from consult.rounds.service import RoundService, is_open
from consult.rounds.visibility import CommentFilters
from consult.rounds.writing import WritingService
from consult.web.pages import render_page

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _comment_view(comment: schemas.CommentOut) -> dict[str, Any]:
    author = comment.author
    shown = author.full_name or author.organisation_name
    if author.full_name and author.organisation_name:
        shown = f"{author.full_name} ({author.organisation_name})"
    return {
        "id": comment.id,
        "author": shown,
        "kind": comment.kind.value,
        "withdrawn": comment.status is schemas.CommentStatus.WITHDRAWN,
        "quote": comment.quote,
        "body": comment.body,
        "proposed_text": comment.proposed_text,
        "decision": comment.response.decision.value if comment.response else None,
        "rationale": comment.response.rationale if comment.response else None,
        "replies": [_comment_view(reply) for reply in comment.replies],
    }


async def _render(
    session: AsyncSession, state: State, principal: StakeholderPrincipal, token: str, error: str | None = None
) -> str:
    settings = state.settings
    round_ = await RoundService(session, settings, principal).get(principal.round_id)
    person = await get_or_404(session, Person, principal.person_id, "person")
    version = await get_or_404(session, DocumentVersion, round_.document_version_id, "draft version")
    document = await get_or_404(session, Document, version.document_id, "document")
    sections = (await VersionService(session).get(version.document_id, version.number)).sections
    # The page shows every thread it can; a round with more threads than that is read through the API.
    tree = await ListingService(session, settings, principal).tree(
        round_.id, CommentFilters(), PageParams(limit=MAX_PAGE_SIZE, offset=0)
    )
    language = best_language(person.language.value)
    return render_page(
        "round",
        language,
        {
            "person_name": person.full_name,
            "organiser_email": settings.mail.from_address,
            "round_title": round_.title,
            "document_title": document.title,
            "when_open": format_when(round_.opens_at, round_.closes_at, person.timezone, language),
            "is_open": is_open(round_),
            "has_closed": round_.closes_at <= dt.datetime.now(dt.UTC),
            "has_organisation": person.organisation_id is not None,
            "preamble": version.preamble,
            "sections": sections,
            "threads": {group.key: [_comment_view(c) for c in group.threads] for group in tree.sections},
            "form_action": f"/r/{token}/comments",
            "error": error,
        },
    )


def _invalid_link() -> Response[str]:
    return Response(
        render_page("link_invalid", "en", {}), media_type=MediaType.HTML, status_code=404, headers=_NO_STORE
    )


def _form_comment(form: dict[str, Any]) -> schemas.CommentCreate:
    """The form's fields as a comment; empty optional fields mean "not given"."""
    fields = {name: value for name, value in form.items() if value != ""}
    fields["on_behalf_of_organisation"] = fields.get("on_behalf_of_organisation") == "true"
    return msgspec.convert(fields, schemas.CommentCreate, strict=False)


class RoundPageController(Controller):
    path = "/r/{token:str}"
    tags = ["round links"]

    @get("/", media_type=MediaType.HTML)
    async def show(self, db_session: AsyncSession, state: State, token: str) -> Response[str]:
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return _invalid_link()
        html = await _render(db_session, state, principal, token)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)

    @post("/comments", status_code=303)
    async def comment(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str] | Redirect:
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return _invalid_link()
        act_as(db_session, Actor.stakeholder(principal.person_id))
        try:
            data = _form_comment(dict(await request.form()))
            comment = await WritingService(db_session, state.settings, principal).create(
                principal.round_id, data
            )
        except (ConsultError, msgspec.ValidationError) as exc:
            await db_session.rollback()
            status = exc.status_code if isinstance(exc, ConsultError) else 422
            html = await _render(db_session, state, principal, token, error=str(exc))
            return Response(html, media_type=MediaType.HTML, status_code=status, headers=_NO_STORE)
        return Redirect(f"/r/{quote(token)}#c-{comment.id}", status_code=303, headers=_NO_STORE)
