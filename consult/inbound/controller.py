"""Email intake over HTTP, the unsubscribe link of reminders and digests, and clearing a bounce."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import State
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import organisers
from consult.crud import get_or_404
from consult.directory.models import Person
from consult.mail.i18n import best_language
from consult.mail.render import render_page
from consult.mail.replies import person_of_unsubscribe_token

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
            "organiser_email": state.settings.mail_from,
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
