"""The round page's Word upload: ``POST /r/{token}/word-feedback`` imports the file as the link's
stakeholder and answers 303 to ``/r/{token}/word-feedback/{digest}``, a page of what that file
became (read back from the comments it made, so reloading it or sending the file again shows the
same). A refused file answers with the page saying why, in the reader's language, and the form to
send another; nothing of it is saved.

``GET /r/{token}/draft.docx`` hands out the file to annotate: the round's draft version as a Word
document without comments, laid out as the import expects (consult.word.annotated).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import MediaType
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.recording import Actor, act_as
from consult.auth.principals import StakeholderPrincipal
from consult.crud import get_or_404
from consult.directory.models import Person
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.errors import Conflict, ConsultError, PayloadTooLarge
from consult.filenames import content_disposition, safe_file_name
from consult.mail.i18n import best_language
from consult.rounds.links import resolve_round_token
from consult.rounds.models import Comment, CommentKind
from consult.rounds.service import RoundService, is_open
from consult.web.pages import NO_STORE, invalid_link, render_page
from consult.word.annotated import SectionText, write_draft_docx
from consult.word.importing import NOT_RELATED, WordImportService, file_digest, idempotency_key
from consult.word.reading import ENCRYPTED

_DIGEST = re.compile(r"[0-9a-f]{40}")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class _Draft:
    """What the Word writer reads of the round's draft (``consult.word.annotated.DraftInfo``)."""

    round_id: UUID
    title: str
    document_title: str
    version_number: int
    preamble: str
    sections: Sequence[SectionText]


def _docx(draft: _Draft) -> bytes:
    out = io.BytesIO()
    write_draft_docx(draft, out)
    return out.getvalue()


def _refusal(exc: ConsultError) -> str:
    """Which of the page's messages says why the file was refused."""
    if isinstance(exc, PayloadTooLarge):
        return "too_large"
    if isinstance(exc, Conflict):
        return "busy" if "imported already" in exc.detail else "closed"
    reason = " ".join(error.reason for error in exc.errors or []) or exc.detail
    if ENCRYPTED in reason:
        return "encrypted"
    if NOT_RELATED in reason:
        return "unrelated"
    if "cannot be read" in reason or "damaged" in reason:
        return "damaged"
    return "not_word"


class WordFeedbackPageController(Controller):
    path = "/r/{token:str}/word-feedback"
    tags = ["round links"]

    @post("/", status_code=303)
    async def upload(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str] | Redirect:
        """Import a Word file with comments and tracked changes as the link's stakeholder."""
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return invalid_link(request)
        act_as(db_session, Actor.stakeholder(principal.person_id))
        upload = (await request.form()).get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        if not content:
            return await self._page(db_session, state, principal, token, refusal="missing", status=422)
        try:
            await WordImportService(db_session, state.settings, principal).import_file(
                principal.round_id, content
            )
        except ConsultError as exc:
            await db_session.rollback()
            return await self._page(
                db_session, state, principal, token, refusal=_refusal(exc), status=exc.status_code
            )
        return Redirect(
            f"/r/{quote(token)}/word-feedback/{file_digest(content)[:40]}", status_code=303, headers=NO_STORE
        )

    @get("/{digest:str}", media_type=MediaType.HTML)
    async def result(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str, digest: str
    ) -> Response[str]:
        """What a Word file sent from the round page became."""
        principal = await resolve_round_token(db_session, token)
        if principal is None or not _DIGEST.fullmatch(digest):
            return invalid_link(request)
        return await self._page(db_session, state, principal, token, digest=digest)

    async def _page(
        self,
        session: AsyncSession,
        state: State,
        principal: StakeholderPrincipal,
        token: str,
        *,
        digest: str | None = None,
        refusal: str | None = None,
        status: int = 200,
    ) -> Response[str]:
        round_ = await RoundService(session, state.settings, principal).get(principal.round_id)
        person = await get_or_404(session, Person, principal.person_id, "person")
        version = await get_or_404(session, DocumentVersion, round_.document_version_id, "draft version")
        document = await get_or_404(session, Document, version.document_id, "document")
        lines: list[dict[str, Any]] = []
        counts = {"comments": 0, "replies": 0, "amendments": 0, "whole_draft": 0}
        if digest is not None:
            sections = {
                s.key: s
                for s in await session.scalars(
                    select(DocumentSection).where(DocumentSection.version_id == version.id)
                )
            }
            made = await session.scalars(
                select(Comment)
                .where(
                    Comment.author_id == principal.person_id,
                    Comment.round_id == round_.id,
                    Comment.idempotency_key.startswith(idempotency_key(digest, ""), autoescape=True),
                )
                .order_by(Comment.created_at, Comment.id)
            )
            for comment in made:
                section = sections.get(comment.section_key or "")
                is_reply = comment.parent_id is not None
                counts["replies" if is_reply else "comments"] += comment.kind is not CommentKind.AMENDMENT
                counts["amendments"] += comment.kind is CommentKind.AMENDMENT
                counts["whole_draft"] += section is None and not is_reply
                lines.append(
                    {
                        "kind": comment.kind.value,
                        "is_reply": is_reply,
                        "section": (
                            section.heading
                            if section is None or section.number in section.heading
                            else f"{section.number} {section.heading}"
                        )
                        if section is not None
                        else None,
                        "excerpt": " ".join(comment.body.split())[:200],
                    }
                )
        html = render_page(
            "word_feedback",
            best_language(person.language.value),
            {
                "round_title": round_.title,
                "document_language": document.language.value,
                "is_open": is_open(round_),
                "round_url": f"/r/{quote(token)}",
                "action": f"/r/{quote(token)}/word-feedback",
                "refusal": refusal,
                "lines": lines,
                "counts": counts,
            },
        )
        return Response(html, media_type=MediaType.HTML, status_code=status, headers=NO_STORE)


class DraftDocxPageController(Controller):
    path = "/r/{token:str}/draft.docx"
    tags = ["round links"]

    @get("/", media_type=DOCX)
    async def draft(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[Any]:
        """The round's draft as a Word file without comments, to annotate and upload back."""
        principal = await resolve_round_token(db_session, token)
        if principal is None:
            return invalid_link(request)
        round_ = await RoundService(db_session, state.settings, principal).get(principal.round_id)
        version = await get_or_404(db_session, DocumentVersion, round_.document_version_id, "draft version")
        document = await get_or_404(db_session, Document, version.document_id, "document")
        sections = await db_session.scalars(
            select(DocumentSection)
            .where(DocumentSection.version_id == version.id)
            .order_by(DocumentSection.position)
        )
        draft = _Draft(
            round_.id, round_.title, document.title, version.number, version.preamble, list(sections)
        )
        # Writing the document is CPU work on rows already read: off the event loop.
        content = await anyio.to_thread.run_sync(_docx, draft)
        name = safe_file_name(f"{document.title} v{version.number}", "docx")
        return Response(
            content,
            media_type=DOCX,
            headers={**NO_STORE, "Content-Disposition": content_disposition(name)},
        )
