"""The pages behind a personal round link: ``/r/{token}``, the overview (the draft's title and
introduction, the contents with each section's count of threads, the comments on the whole draft),
and ``/r/{token}/sections/{section_key}``, one page per section (its text and its threads), both
paged by ``?page=`` (THREADS_PER_PAGE threads a page), so a page costs the same however many
comments the round holds. Their forms post to ``/r/{token}/comments`` (write, reply),
``/r/{token}/comments/{id}`` (edit one's own) and ``.../withdraw``, and come back to the page that
shows the comment.

The token in the path is the credential; the page reads and writes through the same services as
the API, as the link's stakeholder principal. A refused form comes back as the page with that form
open, every field as typed, and what is wrong next to each field (the GOV.UK error pattern); the
form's action ends with the form's anchor, so the browser shows that form, not the top of the page.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, cast
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from babel import Locale
from babel.dates import format_date, get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_decimal
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.params import Parameter
from litestar.response import Redirect
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.recording import Actor, act_as
from consult.auth.principals import StakeholderPrincipal
from consult.crud import get_or_404
from consult.db import fetch_rows
from consult.directory.models import Person
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.errors import ConsultError, Forbidden, NotFound
from consult.events.agenda import Discussion, discussed_sections
from consult.events.models import EventKind
from consult.mail.i18n import best_language, format_when
from consult.pagination import PageParams
from consult.rounds import schemas
from consult.rounds.links import resolve_round_token
from consult.rounds.listing import ListingService
from consult.rounds.models import CommentRound, CommentSource
from consult.rounds.service import is_open
from consult.rounds.visibility import CommentFilters, visible_comment
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
# The page of threads a new-comment form was on: where a refused form comes back.
_PAGE_FIELD = "page"
_PAGE_FIELDS = (_IDEMPOTENCY_FIELD, _PAGE_FIELD)
# Far past any round's last page; a later page shows the last one.
MAX_PAGE = 100_000


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


@functools.cache
def _written(language: str) -> Callable[[dt.datetime], str]:
    """``babel.dates.format_datetime(local, "medium", locale=language)`` for a time already in the
    reader's zone, with the locale's patterns looked up once and each day's date formatted once: a
    page formats a date for every comment it shows, and its comments share few days."""
    locale = Locale.parse(language)
    combined = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    date, time = get_date_format("medium", locale=locale), get_time_format("medium", locale=locale)

    @functools.lru_cache(maxsize=1024)
    def day(value: dt.date) -> str:
        return str(date.apply(value, locale))

    def written(local: dt.datetime) -> str:
        return combined.replace("{0}", str(time.apply(local, locale))).replace("{1}", day(local.date()))

    return written


@dataclass(slots=True)
class CommentView:
    """A comment as the page shows it (attributes, not a dict: the template reads a page's comments
    field by field, and Jinja tries an attribute before a key)."""

    id: UUID
    author: str | None
    kind: str
    attribution: str
    official: bool
    mine: bool
    section_key: str | None
    is_reply: bool
    written_iso: str
    written: str
    edited: bool
    withdrawn: bool
    quote: str | None
    body: str
    proposed_text: str | None
    decision: str | None
    rationale: str | None
    replies: list[CommentView]


def _comment_view(comment: schemas.CommentOut, zone: ZoneInfo, language: str) -> CommentView:
    author = comment.author
    shown = author.full_name or author.organisation_name
    if author.full_name and author.organisation_name:
        shown = f"{author.full_name} ({author.organisation_name})"
    local = comment.created_at.astimezone(zone)
    return CommentView(
        id=comment.id,
        author=shown,
        kind=comment.kind.value,
        attribution=comment.attribution.value,
        official=comment.on_behalf_of_organisation,
        # A point of a round table's minutes is the organisers' record to correct, not its speaker's.
        mine=comment.mine and comment.source is not CommentSource.ROUND_TABLE,
        section_key=comment.section_key,
        is_reply=comment.parent_id is not None,
        written_iso=local.isoformat(),
        written=_written(language)(local),
        edited=comment.edited_at is not None,
        withdrawn=comment.status is schemas.CommentStatus.WITHDRAWN,
        quote=comment.quote,
        body=comment.body,
        proposed_text=comment.proposed_text,
        decision=comment.response.decision.value if comment.response else None,
        rationale=comment.response.rationale if comment.response else None,
        replies=[_comment_view(reply, zone, language) for reply in comment.replies],
    )


THREADS_PER_PAGE = 20


@dataclass(frozen=True)
class Place:
    """A page of the round: the overview (``section_key`` None: the draft's title and introduction,
    the contents and the comments on the whole draft) or one section's page, and which page of
    their threads."""

    section_key: str | None = None
    page: int = 1

    def url(self, token: str) -> str:
        path = f"/r/{quote(token)}"
        if self.section_key is not None:
            path += f"/sections/{quote(self.section_key)}"
        return path if self.page == 1 else f"{path}?page={self.page}"


def _discussed(discussions: list[Discussion], language: str) -> list[dict[str, Any]]:
    """The events whose agenda names a section, each with its day as the reader writes it."""
    return [
        {"round_table": d.kind is EventKind.ROUND_TABLE, "date": format_date(d.date, "long", locale=language)}
        for d in discussions
    ]


def _pages(threads: int) -> int:
    return max(1, -(-threads // THREADS_PER_PAGE))


def _section_title(section: Any) -> str:
    # "Action 1.1.3 — ..." names its number already; a bare heading gets it in front.
    return section.heading if section.number in section.heading else f"{section.number} {section.heading}"


class UnknownSection(NotFound):
    """A section page for a key the round's draft does not have."""


class UnknownComment(NotFound):
    """A reply page for a comment the reader does not see in their round."""


@dataclass(frozen=True)
class _Section:
    key: str
    number: str
    heading: str
    level: int
    body: str


@dataclass(frozen=True)
class _Head:
    """What every round page shows besides the comments, read in one statement (``_HEAD``)."""

    round_: CommentRound
    person_name: str
    language: str
    zone: str
    has_organisation: bool
    preamble: str
    document_title: str
    document_language: str
    version_id: UUID
    sections: list[_Section]  # in draft order


_round, _person = cast(Table, CommentRound.__table__), cast(Table, Person.__table__)
_version, _document = cast(Table, DocumentVersion.__table__), cast(Table, Document.__table__)
_section = cast(Table, DocumentSection.__table__)
# The round, its reader, its draft and the draft's sections: one row per section, in draft order.
_HEAD = (
    select(
        _round.c.title,
        _round.c.opens_at,
        _round.c.closes_at,
        _person.c.full_name,
        _person.c.language,
        _person.c.timezone,
        _person.c.organisation_id,
        _version.c.preamble,
        _document.c.title,
        _document.c.language,
        _round.c.document_version_id,
        _section.c.key,
        _section.c.number,
        _section.c.heading,
        _section.c.level,
        _section.c.body,
    )
    .select_from(
        _round.join(_version, _version.c.id == _round.c.document_version_id)
        .join(_document, _document.c.id == _version.c.document_id)
        .join(_person, _person.c.id == bindparam("person_id"))
        .outerjoin(_section, _section.c.version_id == _version.c.id)
    )
    .where(_round.c.id == bindparam("round_id"))
    .order_by(_section.c.position)
)


async def _head(session: AsyncSession, principal: StakeholderPrincipal) -> _Head:
    params = {"round_id": principal.round_id, "person_id": principal.person_id}
    rows = await fetch_rows(await session.connection(), _HEAD, params)
    if not rows:
        raise NotFound(f"comment round {principal.round_id} does not exist")
    (
        title,
        opens_at,
        closes_at,
        name,
        language,
        zone,
        organisation_id,
        preamble,
        document,
        document_language,
        version_id,
    ) = rows[0][:11]
    return _Head(
        round_=CommentRound(title=title, opens_at=opens_at, closes_at=closes_at),
        person_name=name,
        language=best_language(language),
        zone=zone,
        has_organisation=organisation_id is not None,
        preamble=preamble,
        document_title=document,
        document_language=document_language,
        version_id=version_id,
        sections=[_Section(*row[11:]) for row in rows if row[11] is not None],
    )


async def _render(
    session: AsyncSession,
    state: State,
    principal: StakeholderPrincipal,
    token: str,
    place: Place,
    refused: RefusedForm | None = None,
    not_yours: bool = False,
    replying: UUID | None = None,
) -> str:
    """The overview or a section's page, or (``replying``) the page to reply to one comment. A page
    costs the same however many comments the round holds, except the overview's contents, which
    count the threads of every section in one grouped read."""
    settings = state.settings
    head = await _head(session, principal)
    round_, sections, language = head.round_, head.sections, head.language
    listing = ListingService(session, settings, principal)
    zone = ZoneInfo(head.zone)
    answered = None
    if replying is not None:
        comment = await visible_comment(session, principal, replying)
        found = await listing.thread_place(principal.round_id, replying)
        if comment is None or found is None:
            raise UnknownComment(f"no comment {replying} in this round")
        answered = _comment_view(await listing.one(comment), zone, language)
        place = Place(found[0], found[1] // THREADS_PER_PAGE + 1)
    index = next((i for i, s in enumerate(sections) if s.key == place.section_key), None)
    if place.section_key is not None and index is None:
        raise UnknownSection(f"no section {place.section_key!r} in this draft")
    filters = (
        CommentFilters(whole_draft=True) if index is None else CommentFilters(section_key=place.section_key)
    )

    async def page_of_threads(page: int) -> schemas.CommentTree:
        params = PageParams(limit=THREADS_PER_PAGE, offset=(page - 1) * THREADS_PER_PAGE)
        return await listing.tree(principal.round_id, filters, params)

    page, total, threads = place.page, 0, []
    if answered is None:
        tree = await page_of_threads(page)
        if page > _pages(tree.total):  # past the last page (an old link): the last one
            page = _pages(tree.total)
            tree = await page_of_threads(page)
        total = tree.total
        threads = [_comment_view(c, zone, language) for group in tree.sections for c in group.threads]
    here = Place(place.section_key, page)

    def section_view(i: int) -> dict[str, Any]:
        section = sections[i]
        return {
            "key": section.key,
            "anchor": _section_anchor(section.key),
            "url": Place(section.key).url(token),
            "title": _section_title(section),
            "level": section.level,
        }

    context: dict[str, Any] = {
        "section": None,
        "contents": None,
        "draft_count": None,
        "answered": answered,
        "back_url": f"{here.url(token)}#c-{replying}",
    }
    if index is None and answered is None:
        counts = await listing.thread_counts(principal.round_id)
        context["contents"] = [
            section_view(i) | {"count": counts.get(s.key, 0)} for i, s in enumerate(sections)
        ]
        context["draft_count"] = counts.get(None, 0)
    elif index is not None:
        section = sections[index]
        discussed = await discussed_sections(session, head.version_id)
        context["section"] = section_view(index) | {
            "body": _draft_html(section.body) if section.body.strip() else None,
            "heading_level": min(section.level + 1, 6),
            "discussed": _discussed(discussed.get(section.key, []), language),
        }
        context["previous_section"] = section_view(index - 1) if index > 0 else None
        context["next_section"] = section_view(index + 1) if index + 1 < len(sections) else None
    pages = _pages(total)
    return render_page(
        "round",
        language,
        context
        | {
            "person_name": head.person_name,
            "organiser_email": settings.mail.from_address,
            "round_title": round_.title,
            "document_title": head.document_title,
            "document_language": head.document_language,
            "when_open": format_when(round_.opens_at, round_.closes_at, head.zone, language),
            "is_open": is_open(round_),
            "has_closed": round_.closes_at <= dt.datetime.now(dt.UTC),
            "has_organisation": head.has_organisation,
            "preamble": _draft_html(head.preamble) if head.preamble.strip() else None,
            "threads": threads,
            "thread_total": total,
            "page": page,
            "pages": pages,
            "previous_page": Place(here.section_key, page - 1).url(token) if page > 1 else None,
            "next_page": Place(here.section_key, page + 1).url(token) if page < pages else None,
            "overview_url": Place().url(token),
            "here": here.url(token),
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
    return {name: value for name, value in form.items() if value != "" and name not in _PAGE_FIELDS}


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


def _form_page(form: dict[str, str]) -> int:
    """The page of threads a new-comment form was on (it is on every page of its section)."""
    text = form.get(_PAGE_FIELD, "")
    return min(int(text), MAX_PAGE) if text.isdigit() and int(text) >= 1 else 1


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


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


PageNumber = Annotated[int, Parameter(query="page", ge=1, le=MAX_PAGE, description="page of threads")]


class RoundPageController(Controller):
    path = "/r/{token:str}"
    tags = ["round links"]

    @get("/", media_type=MediaType.HTML)
    async def show(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        page_number: PageNumber = 1,
    ) -> Response[str]:
        """The overview: the draft's title and introduction, the contents with each section's count
        of threads, and the comments on the whole draft (a page of them)."""
        return await self._show(db_session, state, request, token, Place(None, page_number))

    @get("/sections/{section_key:str}", media_type=MediaType.HTML)
    async def section(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        section_key: str,
        page_number: PageNumber = 1,
    ) -> Response[str]:
        """One section: its text, a page of its threads and the forms to comment on it."""
        return await self._show(db_session, state, request, token, Place(section_key, page_number))

    @get("/comments/{comment_id:uuid}/reply", media_type=MediaType.HTML)
    async def reply(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        comment_id: UUID,
    ) -> Response[str]:
        """The form to reply to one comment, under that comment (a page of its own, so that a
        section's page does not carry a form under every comment)."""
        return await self._show(db_session, state, request, token, Place(), replying=comment_id)

    async def _show(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        place: Place,
        replying: UUID | None = None,
    ) -> Response[str]:
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return invalid_link(request)
        try:
            html = await _render(db_session, state, principal, token, place, replying=replying)
        except (UnknownSection, UnknownComment) as missing:
            return await self._not_here(db_session, principal, token, missing)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)

    async def _not_here(
        self, db_session: AsyncSession, principal: StakeholderPrincipal, token: str, missing: NotFound
    ) -> Response[str]:
        """A section the draft does not have, or a comment the reader does not see: a page in the
        reader's language leading to the contents."""
        person = await get_or_404(db_session, Person, principal.person_id, "person")
        what = "section" if isinstance(missing, UnknownSection) else "comment"
        html = render_page(
            "round_missing", person.language.value, {"overview_url": Place().url(token), "missing": what}
        )
        return Response(html, media_type=MediaType.HTML, status_code=404, headers=_NO_STORE)

    async def _place_of(
        self, db_session: AsyncSession, state: State, principal: StakeholderPrincipal, comment_id: UUID | None
    ) -> Place | None:
        """The page that shows the thread of a comment (for the redirect after a form, or to show a
        refused reply or edit at its form)."""
        if comment_id is None:
            return None
        found = await ListingService(db_session, state.settings, principal).thread_place(
            principal.round_id, comment_id
        )
        if found is None:
            return None
        section_key, before = found
        return Place(section_key, before // THREADS_PER_PAGE + 1)

    async def _back_to(
        self,
        db_session: AsyncSession,
        state: State,
        principal: StakeholderPrincipal,
        token: str,
        comment_id: UUID,
    ) -> Redirect:
        place = await self._place_of(db_session, state, principal, comment_id) or Place()
        return Redirect(f"{place.url(token)}#c-{comment_id}", status_code=303, headers=_NO_STORE)

    async def _refused(
        self,
        db_session: AsyncSession,
        state: State,
        principal: StakeholderPrincipal,
        token: str,
        exc: ConsultError | msgspec.ValidationError,
        refused: RefusedForm,
        place: Place | None,
        replying: UUID | None = None,
    ) -> Response[str]:
        """The page the form was on, with the form open and what was typed."""
        await db_session.rollback()
        status = exc.status_code if isinstance(exc, ConsultError) else 422
        refused.fields = _refused_fields(exc)
        try:
            html = await _render(
                db_session, state, principal, token, place or Place(), refused=refused, replying=replying
            )
        except (UnknownSection, UnknownComment):  # a form naming a section or comment not there
            html = await _render(db_session, state, principal, token, Place(), refused=refused)
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
            place = Place(form.get("section_key") or None, _form_page(form))
            replying = _uuid(form.get("parent_id"))
            return await self._refused(db_session, state, principal, token, exc, refused, place, replying)
        return await self._back_to(db_session, state, principal, token, comment.id)

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
            shown = await self._place_of(db_session, state, principal, comment_id) or Place()
            html = await _render(db_session, state, principal, token, shown, not_yours=True)
            return Response(html, media_type=MediaType.HTML, status_code=404, headers=_NO_STORE)
        except (ConsultError, msgspec.ValidationError) as exc:
            refused = RefusedForm(f"edit-{comment_id}", form)
            place = await self._place_of(db_session, state, principal, comment_id)
            return await self._refused(db_session, state, principal, token, exc, refused, place)
        return await self._back_to(db_session, state, principal, token, comment_id)
