"""The one way a named email template becomes a Letter for one reader: rendered in their language,
sent from the organisers' address, which the template's context also carries (for "write to us")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from consult.directory.links import new_person_link
from consult.directory.models import Person
from consult.mail.compose import CalendarPart, InlineImage, Letter, address
from consult.mail.models import OutboundEmail
from consult.mail.render import render_email
from consult.settings import Settings


def write_letter(
    settings: Settings,
    template: str,
    language: str,
    context: Mapping[str, Any],
    *,
    to: str,
    to_name: str = "",
    message_id: str,
    in_reply_to: str | None = None,
    calendar: CalendarPart | None = None,
    headers: Mapping[str, str] | None = None,
    personal_url: str | None = None,
    images: tuple[InlineImage, ...] = (),
) -> Letter:
    """``personal_url``: the reader's own page (consult.directory.links), in the footer."""
    rendered = render_email(
        template,
        language,
        {"organiser_email": settings.mail.from_address, "personal_url": personal_url, **context},
    )
    return Letter(
        sender=address(settings.mail.from_address, settings.mail.from_name),
        recipient=address(to, to_name),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        calendar=calendar,
        headers=headers or {},
        images=images,
    )


def letter_to_person(
    session: Session,
    settings: Settings,
    row: OutboundEmail,
    person: Person,
    template: str,
    language: str,
    context: Mapping[str, Any],
    *,
    calendar: CalendarPart | None = None,
    images: tuple[InlineImage, ...] = (),
) -> Letter:
    """The letter an outbox row sends to a person of the directory: threaded as the row says, with
    a fresh link to the person's own page in the footer."""
    return write_letter(
        settings,
        template,
        language,
        context,
        to=person.email,
        to_name=person.full_name,
        message_id=row.message_id,
        in_reply_to=row.in_reply_to,
        calendar=calendar,
        personal_url=new_person_link(session, person.id, settings),
        images=images,
    )
