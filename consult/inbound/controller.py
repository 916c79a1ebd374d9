"""Email intake over HTTP, the unsubscribe link of reminders and digests, and clearing a bounce."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote
from uuid import UUID

import anyio
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import FOR_INTAKE, intake, organisers
from consult.crud import get_or_404
from consult.directory.models import Person
from consult.errors import ConsultError, NotFound, PayloadTooLarge
from consult.inbound import schemas
from consult.inbound.models import CommentAttachment, InboundMessage, InboundOutcome
from consult.inbound.service import dispatch_processing, store
from consult.mail.i18n import best_language
from consult.mail.render import render_page
from consult.mail.replies import person_of_unsubscribe_token
from consult.pagination import Page, PageParams
from consult.rounds.controller import AnyRequest, comment_service

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class MailStatus(Struct):
    person_id: UUID
    unsubscribed_at: dt.datetime | None
    bounced_at: dt.datetime | None
    bounce_reason: str | None


def _status(person: Person) -> MailStatus:
    return MailStatus(
        person_id=person.id,
        unsubscribed_at=person.unsubscribed_at,
        bounced_at=person.bounced_at,
        bounce_reason=person.bounce_reason,
    )


class PersonMailController(Controller):
    path = "/api/v1/people/{person_id:uuid}"
    tags = ["directory"]

    @get("/mail-status", guards=[organisers])
    async def mail_status(self, db_session: AsyncSession, person_id: UUID) -> MailStatus:
        """Whether the person unsubscribed from reminders and digests, and whether their address bounced."""
        return _status(await get_or_404(db_session, Person, person_id, "person"))

    @post("/clear-bounce", guards=[organisers], status_code=200)
    async def clear_bounce(self, db_session: AsyncSession, person_id: UUID) -> MailStatus:
        """Mail to the person goes out again after a hard bounce (once the address is fixed)."""
        person = await get_or_404(db_session, Person, person_id, "person")
        person.bounced_at = None
        person.bounce_reason = None
        await db_session.flush()
        return _status(person)


class UnsubscribeController(Controller):
    """``{base_url}/unsubscribe/{token}`` from List-Unsubscribe: GET asks, POST (RFC 8058 one-click,
    or the page's button) stops reminders and digests to the person."""

    path = "/unsubscribe/{token:str}"
    tags = ["unsubscribe"]

    async def _person(self, db_session: AsyncSession, state: State, token: str) -> Person | None:
        person_id = person_of_unsubscribe_token(state.settings, token)
        return await db_session.get(Person, person_id) if person_id else None

    def _page(self, person: Person | None, token: str, state: State, done: bool) -> Response[str]:
        if person is None:
            html = render_page("link_invalid", "en", {})
            return Response(html, media_type=MediaType.HTML, status_code=404, headers=_NO_STORE)
        context: dict[str, Any] = {
            "done": done,
            "form_action": f"/unsubscribe/{token}",
            "organiser_email": state.settings.mail.from_address,
        }
        html = render_page("unsubscribe", best_language(person.language.value), context)
        return Response(html, media_type=MediaType.HTML, headers=_NO_STORE)

    @get("/", media_type=MediaType.HTML)
    async def confirm(self, db_session: AsyncSession, state: State, token: str) -> Response[str]:
        person = await self._person(db_session, state, token)
        return self._page(
            person, token, state, done=person is not None and person.unsubscribed_at is not None
        )

    @post("/", status_code=200, media_type=MediaType.HTML)
    async def unsubscribe(self, db_session: AsyncSession, state: State, token: str) -> Response[str]:
        person = await self._person(db_session, state, token)
        if person is not None and person.unsubscribed_at is None:
            person.unsubscribed_at = dt.datetime.now(dt.UTC)
            await db_session.flush()
        return self._page(person, token, state, done=True)


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
        if not duplicate:
            await anyio.to_thread.run_sync(dispatch_processing, [row.id])
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
        total = await db_session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = (await db_session.scalars(stmt.limit(page.limit).offset(page.offset))).all()
        items = [
            schemas.LogEntry(
                id=r.id,
                received_at=r.created_at,
                source=r.source,
                message_id=r.message_id,
                from_address=r.from_address,
                subject=r.subject,
                state=r.state,
                outcome=r.outcome,
                reason=r.reason,
                answered=r.answered_at is not None,
                person_id=r.person_id,
                comment_id=r.comment_id,
                invitation_id=r.invitation_id,
                outbound_email_id=r.outbound_email_id,
                processed_at=r.processed_at,
            )
            for r in rows
        ]
        return Page(items=items, total=int(total or 0), limit=page.limit, offset=page.offset)


def _attachment_disposition(filename: str) -> str:
    """The file's name for the browser (RFC 6266): an ASCII stand-in, and the name itself in UTF-8;
    control characters, which no header may carry, dropped."""
    name = "".join(c for c in filename if c.isprintable()) or "attachment"
    stand_in = name.encode("ascii", "replace").decode().translate(str.maketrans('?"\\', "___"))
    return f"attachment; filename=\"{stand_in}\"; filename*=UTF-8''{quote(name, safe='')}"


class AttachmentController(Controller):
    path = "/api/v1"
    tags = ["comment rounds"]

    @get("/comments/{comment_id:uuid}/attachments")
    async def list_attachments(
        self, db_session: AsyncSession, request: AnyRequest, comment_id: UUID
    ) -> list[schemas.AttachmentOut]:
        """Files that came attached to the email a comment was written in: for staff, and for
        stakeholders who may read the comment when it is theirs or signed with a name."""
        if not await comment_service(db_session, request).may_see_files(comment_id):
            raise NotFound(f"comment {comment_id} does not exist")
        rows = (
            await db_session.execute(
                select(
                    CommentAttachment.id,
                    CommentAttachment.filename,
                    CommentAttachment.content_type,
                    CommentAttachment.size,
                )
                .where(CommentAttachment.comment_id == comment_id)
                .order_by(CommentAttachment.created_at, CommentAttachment.id)
            )
        ).all()
        return [
            schemas.AttachmentOut(
                id=r.id,
                comment_id=comment_id,
                filename=r.filename,
                content_type=r.content_type,
                size=r.size,
                url=f"/api/v1/attachments/{r.id}",
            )
            for r in rows
        ]

    @get("/attachments/{attachment_id:uuid}", media_type="application/octet-stream")
    async def download(
        self, db_session: AsyncSession, request: AnyRequest, attachment_id: UUID
    ) -> Response[bytes]:
        found = await db_session.get(CommentAttachment, attachment_id)
        if found is None or not await comment_service(db_session, request).may_see_files(found.comment_id):
            raise NotFound(f"attachment {attachment_id} does not exist")
        return Response(
            found.data,
            media_type=found.content_type,
            headers={
                "Content-Disposition": _attachment_disposition(found.filename),
                "X-Content-Type-Options": "nosniff",
            },
        )
