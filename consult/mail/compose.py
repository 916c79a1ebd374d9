"""MIME assembly. One message per recipient; calendar invitations in the shape that Outlook, Gmail,
Apple Mail and Thunderbird all accept:

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=X; charset=UTF-8
      invite.ics (attachment)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class CalendarPart:
    method: str
    ics: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    """Everything the SMTP layer needs; ``envelope_from`` may differ from From (VERP)."""

    message: EmailMessage
    envelope_from: str
    recipient: str


@dataclass(frozen=True)
class Letter:
    sender: Address
    recipient: Address
    subject: str
    text: str
    html: str
    message_id: str
    in_reply_to: str | None = None
    calendar: CalendarPart | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def one_line(text: str) -> str:
    """Header text from user input: line breaks would start new headers, so they become spaces."""
    return " ".join(text.split())


def new_message_id(domain: str) -> str:
    return make_msgid(domain=domain)


def address(email: str, name: str = "") -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


# Quoted-printable keeps non-ASCII text 7-bit clean for relays without 8BITMIME.
_CTE = "quoted-printable"


def _add_bodies(part: EmailMessage, letter: Letter) -> None:
    part.set_content(letter.text, subtype="plain", charset="utf-8", cte=_CTE)
    part.add_alternative(letter.html, subtype="html", charset="utf-8", cte=_CTE)


def build_message(letter: Letter) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["MIME-Version"] = "1.0"
    message["From"] = letter.sender
    message["To"] = letter.recipient
    message["Subject"] = one_line(letter.subject)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = letter.message_id
    if letter.in_reply_to:
        message["In-Reply-To"] = letter.in_reply_to
        message["References"] = letter.in_reply_to
    for name, value in letter.headers.items():
        message[name] = one_line(value)

    if letter.calendar is None:
        _add_bodies(message, letter)
        return message

    message.make_mixed()
    body = EmailMessage(policy=SMTP)
    _add_bodies(body, letter)
    body.add_alternative(
        letter.calendar.ics.decode("utf-8"),
        subtype="calendar",
        charset="utf-8",
        cte=_CTE,
        params={"method": letter.calendar.method},
    )
    message.attach(body)
    message.add_attachment(
        letter.calendar.ics,
        maintype="application",
        subtype="ics",
        filename="invite.ics",
    )
    return message
