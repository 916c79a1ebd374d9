"""MIME assembly. One message per recipient; calendar invitations in the shape that Outlook, Gmail,
Apple Mail and Thunderbird all accept:

    multipart/mixed
      multipart/alternative
        text/plain
        text/html                   (or, with inline images: multipart/related of
        text/calendar; method=X; charset=UTF-8     text/html and image/png parts by Content-ID)
      invite.ics (attachment)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.charset import BASE64, Charset
from email.header import Header
from email.headerregistry import Address
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid
from typing import cast

# The classic MIME classes: an order of magnitude faster than EmailMessage's header registry,
# which matters when a worker assembles thousands of invitations. Every header value that can carry
# user text goes through one_line() and RFC 2047 encoding, so no value can start a new header.
_WIRE = compat32.clone(linesep="\r\n")
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = BASE64


@dataclass(frozen=True)
class CalendarPart:
    method: str
    ics: bytes


@dataclass(frozen=True)
class InlineImage:
    """A PNG the HTML body shows as ``<img src="cid:{content_id}">`` (RFC 2392)."""

    content_id: str  # without the angle brackets
    png: bytes
    filename: str


@dataclass(frozen=True)
class OutgoingEmail:
    """Everything the SMTP layer needs; ``envelope_from`` may differ from From (VERP)."""

    raw: bytes
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
    images: tuple[InlineImage, ...] = ()


def one_line(text: str) -> str:
    """Header text from user input: line breaks (which would start a new header, "\\r\\nBcc: ...")
    become spaces. str.split() breaks on every Unicode line boundary (U+2028 included), which some
    clients would otherwise show as a broken subject."""
    return " ".join(text.split())


def new_message_id(domain: str) -> str:
    return make_msgid(domain=domain)


def address(email: str, name: str = "") -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


def _mailbox(who: Address) -> str:
    return formataddr((who.display_name, who.addr_spec), charset="utf-8")


def _text(content: str, subtype: str, method: str | None = None) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    if method:
        part.set_param("method", method)
    part.set_payload(content.encode("utf-8"), charset=_UTF8)
    return part


def _header(value: str) -> str:
    """ASCII stays readable; anything else becomes RFC 2047 encoded words, folded by the generator.
    (The classic Message takes a Header object wherever a string goes; the type stubs say str.)"""
    value = one_line(value)
    return value if value.isascii() else cast(str, Header(value, "utf-8"))


def _html(letter: Letter) -> MIMEBase:
    if not letter.images:
        return _text(letter.html, "html")
    related = MIMEMultipart("related", type="text/html")
    related.attach(_text(letter.html, "html"))
    for image in letter.images:
        part = MIMEImage(image.png, "png")
        part["Content-ID"] = f"<{image.content_id}>"
        part.add_header("Content-Disposition", "inline", filename=image.filename)
        related.attach(part)
    return related


def render_message(letter: Letter) -> bytes:
    """The message as it goes on the wire (CRLF line ends)."""
    bodies = MIMEMultipart("alternative")
    bodies.attach(_text(letter.text, "plain"))
    bodies.attach(_html(letter))
    if letter.calendar is None:
        message = bodies
    else:
        bodies.attach(_text(letter.calendar.ics.decode("utf-8"), "calendar", method=letter.calendar.method))
        message = MIMEMultipart("mixed")
        message.attach(bodies)
        attachment = MIMEApplication(letter.calendar.ics, "ics", name="invite.ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(attachment)
    message["From"] = _mailbox(letter.sender)
    message["To"] = _mailbox(letter.recipient)
    message["Subject"] = _header(letter.subject)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = letter.message_id
    if letter.in_reply_to:
        message["In-Reply-To"] = letter.in_reply_to
        message["References"] = letter.in_reply_to
    for name, value in letter.headers.items():
        message[name] = _header(value)
    return message.as_bytes(policy=_WIRE)
