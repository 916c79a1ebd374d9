"""Email intake over HTTP, the unsubscribe link of reminders and digests, clearing a bounce, and
cutting every link a person was sent."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.recording import Actor, act_as
from consult.auth.guards import FOR_INTAKE, intake, organisers
from consult.crud import get_or_404, page_of
from consult.directory.links import revoke_person_links
from consult.directory.models import Person
from consult.errors import ConsultError, NotFound, PayloadTooLarge
from consult.inbound import schemas
from consult.inbound.models import InboundMessage, InboundOutcome
from consult.inbound.service import attachment_filename, store
from consult.invitations.service import revoke_rsvp_links
from consult.mail.i18n import best_language
from consult.mail.replies import person_of_unsubscribe_token, revoke_reply_tokens
from consult.pagination import Page, PageParams
from consult.polls.links import revoke_poll_links
from consult.questionnaires.links import revoke_questionnaire_links
from consult.rounds import schemas as round_schemas
from consult.rounds.controller import AnyRequest
from consult.rounds.links import revoke_round_links
from consult.rounds.models import CommentAttachment
from consult.rounds.visibility import may_see_files
from consult.web.pages import invalid_link, render_page

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class PersonMailController(Controller):
    path = "/api/v1/people/{person_id:uuid}"
    tags = ["directory"]

    @get("/mail-status", guards=[organisers])
    async def mail_status(self, db_session: AsyncSession, person_id: UUID) -> schemas.MailStatus:
        """Whether the person unsubscribed from reminders and digests, and whether their address bounced."""
        person = await get_or_404(db_session, Person, person_id, "person")
        return schemas.MailStatus.from_model(person)

    @post("/clear-bounce", guards=[organisers], status_code=200)
    async def clear_bounce(self, db_session: AsyncSession, person_id: UUID) -> schemas.MailStatus:
        """Mail to the person goes out again after a hard bounce (once the address is fixed)."""
        person = await get_or_404(db_session, Person, person_id, "person")
        person.bounced_at = None
        person.bounce_reason = None
        await db_session.flush()
        return schemas.MailStatus.from_model(person)

    @post("/revoke-links", guards=[organisers], status_code=200)
    async def revoke_links(self, db_session: AsyncSession, person_id: UUID) -> schemas.LinksRevoked:
        """Every link the person was sent stops working at once: round links (also their API
        tokens), RSVP links, scheduling poll links, questionnaire links and reply addresses. Mail sent
        afterwards carries fresh ones; remove the person from a round or withdraw the invitation to
        stop that too."""
        person = await get_or_404(db_session, Person, person_id, "person")
        return schemas.LinksRevoked(
            person_id=person.id,
            round_links=await revoke_round_links(db_session, person.id),
            rsvp_links=await revoke_rsvp_links(db_session, person.id),
            poll_links=await revoke_poll_links(db_session, person.id),
            questionnaire_links=await revoke_questionnaire_links(db_session, person.id),
            personal_page_links=await revoke_person_links(db_session, person.id),
            reply_addresses=await revoke_reply_tokens(db_session, person.id),
        )


class UnsubscribeController(Controller):
    """``{base_url}/unsubscribe/{token}`` from List-Unsubscribe: GET asks, POST (RFC 8058 one-click,
    or the page's button) stops reminders and digests to the person."""

    path = "/unsubscribe/{token:str}"
    tags = ["unsubscribe"]

    async def _person(self, db_session: AsyncSession, state: State, token: str) -> Person | None:
        person_id = person_of_unsubscribe_token(state.settings, token)
        return await db_session.get(Person, person_id) if person_id else None

    def _page(
        self, request: AnyRequest, person: Person | None, token: str, state: State, done: bool
    ) -> Response[str]:
        if person is None:
            return invalid_link(request)
        context: dict[str, Any] = {
            "done": done,
            "form_action": f"/unsubscribe/{token}",
            "organiser_email": state.settings.mail.from_address,
        }
        html = render_page("unsubscribe", best_language(person.language.value), context)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)

    @get("/", media_type=MediaType.HTML)
    async def confirm(
        self, db_session: AsyncSession, state: State, request: AnyRequest, token: str
    ) -> Response[str]:
        person = await self._person(db_session, state, token)
        return self._page(
            request, person, token, state, done=person is not None and person.unsubscribed_at is not None
        )

    @post("/", status_code=200, media_type=MediaType.HTML)
    async def unsubscribe(
        self, db_session: AsyncSession, state: State, request: AnyRequest, token: str
    ) -> Response[str]:
        person = await self._person(db_session, state, token)
        if person is not None and person.unsubscribed_at is None:
            act_as(db_session, Actor.stakeholder(person.id))
            person.unsubscribed_at = dt.datetime.now(dt.UTC)
            await db_session.flush()
        return self._page(request, person, token, state, done=True)


# Litestar refuses larger bodies before the handler runs; CONSULT_INBOUND_MAX_BYTES is checked inside.
_MAX_REQUEST = 64 * 1024 * 1024
_RFC822 = {"message/rfc822", "application/octet-stream", "text/plain"}


class UnsupportedMediaType(ConsultError):
    status_code = 415
    title = "Unsupported media type"


class InboundController(Controller):
    path = "/api/v1/inbound"
    tags = ["email intake"]

    @post("/email", guards=[intake], opt=FOR_INTAKE, status_code=202, request_max_body_size=_MAX_REQUEST)
    async def receive(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any]
    ) -> schemas.Received:
        """One raw RFC 5322 message as the body (``Content-Type: message/rfc822``), from the mail
        gateway (a token with role intake, or admin). Stored, then processed by a worker; the same
        Message-ID (or the same bytes, without one) is processed once."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _RFC822:
            raise UnsupportedMediaType("send the raw message with Content-Type: message/rfc822")
        raw = await request.body()
        if not raw.strip():
            raise ConsultError("the body is empty: send one raw RFC 5322 message")
        if len(raw) > state.settings.inbound.max_bytes:
            raise PayloadTooLarge(f"the message is larger than {state.settings.inbound.max_bytes} bytes")
        row, duplicate = await store(db_session, raw)
        await db_session.commit()
        return schemas.Received(id=row.id, duplicate=duplicate, state=row.state, outcome=row.outcome)

    @get("/log", guards=[organisers])
    async def log(
        self,
        db_session: AsyncSession,
        page: PageParams,
        outcome: InboundOutcome | None = None,
    ) -> Page[schemas.LogEntry]:
        """Every message received, newest first, with what became of it and why."""
        stmt = select(InboundMessage).order_by(InboundMessage.created_at.desc(), InboundMessage.id)
        if outcome is not None:
            stmt = stmt.where(InboundMessage.outcome == outcome)
        rows, total = await page_of(db_session, stmt, page)
        items = [schemas.LogEntry.from_model(r) for r in rows]
        return Page.of(items, total, page)


# Types a browser shows passively; anything else (HTML, SVG, XML, scripts...) could run in our origin
# if opened, so it is served as bytes to save. Every download is an attachment, with nosniff, anyway.
_PASSIVE_TYPES = frozenset(
    {
        "application/pdf",
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/zip",
    }
)


def _download_type(declared: str) -> str:
    declared = declared.split(";")[0].strip().lower()
    return declared if declared in _PASSIVE_TYPES else "application/octet-stream"


def _attachment_disposition(filename: str) -> str:
    """The file's name for the browser (RFC 6266): an ASCII stand-in, and the name itself in UTF-8;
    control characters, which no header may carry, dropped."""
    name = attachment_filename(filename)
    stand_in = name.encode("ascii", "replace").decode().translate(str.maketrans('?"\\', "___"))
    return f"attachment; filename=\"{stand_in}\"; filename*=UTF-8''{quote(name, safe='')}"


class AttachmentController(Controller):
    path = "/api/v1"
    tags = ["comment rounds"]

    @get("/comments/{comment_id:uuid}/attachments")
    async def list_attachments(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID
    ) -> list[round_schemas.AttachmentOut]:
        """Files that came attached to the email a comment was written in: for staff, and for
        stakeholders who may read the comment when it is theirs or signed with a name."""
        if not await may_see_files(db_session, request.user, comment_id):
            raise NotFound(f"comment {comment_id} does not exist")
        rows = (
            await db_session.execute(
                select(
                    CommentAttachment.id,
                    CommentAttachment.comment_id,
                    CommentAttachment.filename,
                    CommentAttachment.content_type,
                    CommentAttachment.size,
                )
                .where(CommentAttachment.comment_id == comment_id)
                .order_by(CommentAttachment.created_at, CommentAttachment.id)
            )
        ).all()
        return [round_schemas.AttachmentOut.from_model(r) for r in rows]

    @get("/attachments/{attachment_id:uuid}", media_type="application/octet-stream")
    async def download(
        self, db_session: AsyncSession, request: AnyRequest, attachment_id: UUID
    ) -> Response[bytes]:
        found = await db_session.get(CommentAttachment, attachment_id)
        if found is None or not await may_see_files(db_session, request.user, found.comment_id):
            raise NotFound(f"attachment {attachment_id} does not exist")
        return Response(
            found.data,
            media_type=_download_type(found.content_type),
            headers={
                "Content-Disposition": _attachment_disposition(found.filename),
                "X-Content-Type-Options": "nosniff",
            },
        )
