"""The page behind a personal round link, ``/r/{token}``: the draft with the comments the reader
may see, and forms that post to ``/r/{token}/comments`` (write, reply), ``/r/{token}/comments/{id}``
(edit one's own) and ``.../withdraw``, and come back to the page.

The token in the path is the credential; the page reads and writes through the same services as
the API, as the link's stakeholder principal. A refused form comes back as the page with that form
open, every field as typed, and what is wrong next to each field (the GOV.UK error pattern); the
form's action ends with the form's anchor, so the browser shows that form, not the top of the page.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.recording import Actor, act_as
from consult.auth.principals import StakeholderPrincipal
from consult.crud import get_or_404
from consult.directory.models import Person
from consult.drafts.models import Document, DocumentVersion
from consult.drafts.service import VersionService
from consult.errors import ConsultError, Forbidden, NotFound
from consult.events.agenda import Discussion, discussed_sections
from consult.events.models import EventKind
from consult.mail.i18n import best_language, format_when
from consult.pagination import MAX_PAGE_SIZE, PageParams
from consult.rounds import schemas
from consult.rounds.links import resolve_round_token
from consult.rounds.listing import ListingService
from consult.rounds.models import CommentSource
from consult.rounds.service import RoundService, is_open
from consult.rounds.visibility import CommentFilters
from consult.rounds.writing import WritingService
from consult.types import COMMENT_MAX_LENGTH
from consult.web.pages import invalid_link, render_page

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Drafts are Markdown written by staff; no HTML in them reaches the page (markdown-it also refuses
# javascript: and similar links).
_DRAFT_MARKDOWN = MarkdownIt("commonmark", {"html": False})
# msgspec names the field it refused only in its message: "... - at `$.body`".
_REFUSED_FIELD = re.compile(r"at `\$\.(\w+)`")
_IDEMPOTENCY_FIELD = "idempotency_key"


@dataclass
class RefusedForm:
    """A form the server did not accept: which one, what was typed, and which fields are at fault
    (the template words the message for each, in the reader's language)."""

    form_id: str
    values: dict[str, str]
    fields: list[str] = field(default_factory=list)


def _draft_html(text: str) -> Markup:
    return Markup(_DRAFT_MARKDOWN.render(text))  # noqa: S704 - markdown-it escapes text, html is off


def _section_anchor(key: str) -> str:
    return key if key.startswith("s-") else f"s-{key}"


def _comment_view(comment: schemas.CommentOut, zone: ZoneInfo, language: str) -> dict[str, Any]:
    author = comment.author
    shown = author.full_name or author.organisation_name
    if author.full_name and author.organisation_name:
        shown = f"{author.full_name} ({author.organisation_name})"
    return {
        "id": comment.id,
        "author": shown,
        "kind": comment.kind.value,
        "attribution": comment.attribution.value,
        "official": comment.on_behalf_of_organisation,
        # A point of a round table's minutes is the organisers' record to correct, not its speaker's.
        "mine": comment.mine and comment.source is not CommentSource.ROUND_TABLE,
        "section_key": comment.section_key,
        "is_reply": comment.parent_id is not None,
        "written_iso": comment.created_at.astimezone(zone).isoformat(),
        "written": format_datetime(comment.created_at, "medium", tzinfo=zone, locale=language),
        "edited": comment.edited_at is not None,
        "withdrawn": comment.status is schemas.CommentStatus.WITHDRAWN,
        "quote": comment.quote,
        "body": comment.body,
        "proposed_text": comment.proposed_text,
        "decision": comment.response.decision.value if comment.response else None,
        "rationale": comment.response.rationale if comment.response else None,
        "replies": [_comment_view(reply, zone, language) for reply in comment.replies],
    }


def _discussed(discussions: list[Discussion], language: str) -> list[dict[str, Any]]:
    """The events whose agenda names a section (issue 14), each with its day as the reader writes it."""
    return [
        {"round_table": d.kind is EventKind.ROUND_TABLE, "date": format_date(d.date, "long", locale=language)}
        for d in discussions
    ]


def _comment_count(threads: list[dict[str, Any]]) -> int:
    return sum(1 + _comment_count(thread["replies"]) for thread in threads)


async def _render(
    session: AsyncSession,
    state: State,
    principal: StakeholderPrincipal,
    token: str,
    refused: RefusedForm | None = None,
    not_yours: bool = False,
) -> str:
    settings = state.settings
    round_ = await RoundService(session, settings, principal).get(principal.round_id)
    person = await get_or_404(session, Person, principal.person_id, "person")
    version = await get_or_404(session, DocumentVersion, round_.document_version_id, "draft version")
    document = await get_or_404(session, Document, version.document_id, "document")
    sections = (await VersionService(session).get(version.document_id, version.number)).sections
    # One page of threads through the API's own paged listing, so the page costs the same however
    # many comments the round holds; a round with more threads than that is read through the API.
    tree = await ListingService(session, settings, principal).tree(
        round_.id, CommentFilters(), PageParams(limit=MAX_PAGE_SIZE, offset=0)
    )
    language = best_language(person.language.value)
    zone = ZoneInfo(person.timezone)
    discussed = await discussed_sections(session, version.id)
    threads = {
        group.key: [_comment_view(c, zone, language) for c in group.threads] for group in tree.sections
    }
    return render_page(
        "round",
        language,
        {
            "person_name": person.full_name,
            "organiser_email": settings.mail.from_address,
            "round_title": round_.title,
            "document_title": document.title,
            "document_language": document.language.value,
            "when_open": format_when(round_.opens_at, round_.closes_at, person.timezone, language),
            "is_open": is_open(round_),
            "has_closed": round_.closes_at <= dt.datetime.now(dt.UTC),
            "has_organisation": person.organisation_id is not None,
            "preamble": _draft_html(version.preamble) if version.preamble.strip() else None,
            "sections": [
                {
                    "key": section.key,
                    "anchor": _section_anchor(section.key),
                    # "Action 1.1.3 — ..." names its number already; a bare heading gets it in front.
                    "title": section.heading
                    if section.number in section.heading
                    else f"{section.number} {section.heading}",
                    "level": section.level,
                    "body": _draft_html(section.body) if section.body.strip() else None,
                    "count": _comment_count(threads.get(section.key, [])),
                    "discussed": _discussed(discussed.get(section.key, []), language),
                }
                for section in sections
            ],
            "draft_count": _comment_count(threads.get(None, [])),
            "threads": threads,
            "base_action": f"/r/{token}/comments",
            "comment_max_length": COMMENT_MAX_LENGTH,
            "comment_max_length_shown": format_decimal(COMMENT_MAX_LENGTH, locale=language),
            "new_key": lambda: secrets.token_urlsafe(16),
            "refused": refused,
            "not_yours": not_yours,
        },
    )


def _given(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields; empty optional fields mean "not given"."""
    return {name: value for name, value in form.items() if value != "" and name != _IDEMPOTENCY_FIELD}


def _form_comment(form: dict[str, str]) -> schemas.CommentCreate:
    fields = _given(form)
    fields["on_behalf_of_organisation"] = fields.get("on_behalf_of_organisation") == "true"
    return msgspec.convert(fields, schemas.CommentCreate, strict=False)


def _form_patch(form: dict[str, str]) -> schemas.CommentPatch:
    """An edit: every field of the form is sent, an emptied quote or proposed text is removed."""
    fields: dict[str, Any] = {name: form[name] for name in ("body", "kind", "attribution") if name in form}
    for name in ("quote", "proposed_text"):
        if name in form:
            fields[name] = form[name] or None
    return msgspec.convert(fields, schemas.CommentPatch, strict=False)


def _new_form_id(form: dict[str, str]) -> str:
    if form.get("parent_id"):
        return f"reply-{form['parent_id']}"
    if form.get("section_key"):
        return f"write-{_section_anchor(form['section_key'])}"
    return "write-draft"


def _refused_fields(exc: ConsultError | msgspec.ValidationError) -> list[str]:
    """The fields at fault; an empty list when the whole request was refused (a closed round)."""
    if isinstance(exc, msgspec.ValidationError):
        match = _REFUSED_FIELD.search(str(exc))
        return [match.group(1) if match else "body"]
    return [error.field for error in exc.errors or []]


class RoundPageController(Controller):
    path = "/r/{token:str}"
    tags = ["round links"]

    @get("/", media_type=MediaType.HTML)
    async def show(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str]:
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return invalid_link(request)
        html = await _render(db_session, state, principal, token)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)

    async def _refused(
        self,
        db_session: AsyncSession,
        state: State,
        principal: StakeholderPrincipal,
        token: str,
        exc: ConsultError | msgspec.ValidationError,
        refused: RefusedForm,
    ) -> Response[str]:
        await db_session.rollback()
        status = exc.status_code if isinstance(exc, ConsultError) else 422
        refused.fields = _refused_fields(exc)
        html = await _render(db_session, state, principal, token, refused=refused)
        return Response(html, media_type=MediaType.HTML, status_code=status, headers=_NO_STORE)

    @post("/comments", status_code=303)
    async def comment(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str] | Redirect:
        """A new comment or reply. The form's one-time key makes a second send of the same form
        (a double click, the back button) land on the comment the first one wrote."""
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return invalid_link(request)
        act_as(db_session, Actor.stakeholder(principal.person_id))
        form = {name: str(value) for name, value in (await request.form()).items()}
        try:
            comment, _ = await WritingService(db_session, state.settings, principal).create_once(
                principal.round_id, _form_comment(form), form.get(_IDEMPOTENCY_FIELD) or None
            )
        except (ConsultError, msgspec.ValidationError) as exc:
            refused = RefusedForm(_new_form_id(form), form)
            return await self._refused(db_session, state, principal, token, exc, refused)
        return Redirect(f"/r/{quote(token)}#c-{comment.id}", status_code=303, headers=_NO_STORE)

    @post(["/comments/{comment_id:uuid}", "/comments/{comment_id:uuid}/withdraw"], status_code=303)
    async def change(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        comment_id: UUID,
    ) -> Response[str] | Redirect:
        """Edit (``/comments/{id}``: the earlier text is kept as a revision) or withdraw
        (``/comments/{id}/withdraw``) one's own comment while the round is open."""
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return invalid_link(request)
        act_as(db_session, Actor.stakeholder(principal.person_id))
        form = {name: str(value) for name, value in (await request.form()).items()}
        service = WritingService(db_session, state.settings, principal)
        try:
            if request.url.path.endswith("/withdraw"):
                await service.withdraw(comment_id)
            else:
                await service.update(comment_id, _form_patch(form))
        except (NotFound, Forbidden):
            # Someone else's comment, or none: the link holder changes only their own.
            await db_session.rollback()
            html = await _render(db_session, state, principal, token, not_yours=True)
            return Response(html, media_type=MediaType.HTML, status_code=404, headers=_NO_STORE)
        except (ConsultError, msgspec.ValidationError) as exc:
            refused = RefusedForm(f"edit-{comment_id}", form)
            return await self._refused(db_session, state, principal, token, exc, refused)
        return Redirect(f"/r/{quote(token)}#c-{comment_id}", status_code=303, headers=_NO_STORE)
