# ruff: noqa: RUF001, RUF002, RUF003 - Russian and Azerbaijani patterns are meant as written
"""Reading incoming mail (pure: no database). What kind of message it is, the text the sender wrote
(quotes, attribution lines and signatures removed), its attachments, and a calendar answer in it.

Quote stripping: mail-parser-reply (PyPI) was tried on the fixtures in tests/inbound/fixtures; it
handles the English and French forms but not the Russian and Azerbaijani ones ("… написал(а):",
Gmail's Russian "<date>, Name <addr>:", "… yazdı:", Outlook's "От: … Отправлено: …"), so these rules
are our own: small, and tested on each client's format in each language.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from uuid import UUID

import icalendar

from consult.mail.replies import bounce_id_in, reply_token_in, unsubscribe_token_in


@dataclass(frozen=True)
class Bounce:
    permanent: bool
    status: str | None
    action: str | None
    recipient: str | None
    diagnostic: str | None
    verp_id: UUID | None
    original_message_id: str | None


@dataclass(frozen=True)
class CalendarReply:
    uid: str
    sequence: int
    attendee: str | None
    partstat: str | None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Parsed:
    message_id: str | None
    from_address: str | None
    from_name: str
    subject: str
    in_reply_to: str | None
    recipients: list[str]
    bounce: Bounce | None
    auto_reply: str | None  # why it counts as automatic mail
    calendar: CalendarReply | None
    reply_token: str | None
    unsubscribe_token: str | None
    text: str  # what the sender wrote, quotes and signature removed
    attachments: list[Attachment] = field(default_factory=list)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def without_nul(text: str) -> str:
    """PostgreSQL keeps no NUL in text, and a NUL means nothing in mail anyway."""
    return text.replace("\x00", "")


def header(message: Message, name: str) -> str:
    """A header's value on one line; a header the parser cannot read is absent to us."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):
        return ""
    return without_nul(" ".join(str(value).split())) if value is not None else ""


# --- classification --------------------------------------------------------------------------------

_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")

_AUTO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from (the )?office|on vacation"
    r"|réponse automatique|absent du bureau|absence du bureau|message d'absence"
    r"|автоответ|автоматический ответ|нет на месте|вне офиса|в отпуске"
    r"|avtomatik cavab|ofisdən kənar|ofisdə deyiləm|məzuniyyətdəyəm",
    re.IGNORECASE,
)


def _recipients(message: Message) -> list[str]:
    values = [header(message, name) for name in _RECIPIENT_HEADERS]
    return [addr.lower() for _, addr in getaddresses([v for v in values if v]) if addr]


def auto_reply_reason(message: Message) -> str | None:
    """Why the message is automatic mail we never answer (RFC 3834 and what clients really send)."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if header(message, name):
            return f"{name} header"
    precedence = header(message, "Precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    if header(message, "List-Id") or header(message, "List-Unsubscribe"):
        return "mailing-list message"
    subject = header(message, "Subject")
    if _AUTO_SUBJECT.search(subject):
        return f"out-of-office subject: {subject[:200]}"
    sender = parseaddr(header(message, "From"))[1].lower()
    if sender.split("@")[0] in {"mailer-daemon", "postmaster", "noreply", "no-reply"}:
        return f"automatic sender {sender}"
    if header(message, "Return-Path").strip() == "<>":
        return "null return path"
    return None


def _dsn_fields(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = part.get_payload(decode=True)
    if not isinstance(text, bytes):
        return []
    blocks = re.split(r"\r?\n\r?\n", text.decode("utf-8", "replace"))
    return [HeaderParser().parsestr(block) for block in blocks if block.strip()]


def _original_message_id(message: Message) -> str | None:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                found = HeaderParser().parsestr(text.decode("utf-8", "replace")).get("Message-ID")
                if found:
                    return " ".join(str(found).split())
        elif kind == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(first, Message) and first.get("Message-ID"):
                return " ".join(str(first["Message-ID"]).split())
    return None


def read_bounce(message: Message, recipients: list[str]) -> Bounce | None:
    """A delivery status notification (RFC 3464), or any message to one of our VERP addresses."""
    verp_id = next((found for r in recipients if (found := bounce_id_in(r))), None)
    is_report = (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )
    status_part = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if not is_report and status_part is None and verp_id is None:
        return None
    action = status = recipient = diagnostic = None
    if status_part is not None:
        for block in _dsn_fields(status_part):
            if block.get("Action") or block.get("Status"):
                action = str(block.get("Action", "")).strip().lower() or None
                status = str(block.get("Status", "")).strip() or None
                recipient = str(block.get("Final-Recipient", "")).split(";")[-1].strip() or None
                diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split()) or None
                if action == "failed":
                    break
    permanent = bool(status and status.startswith("5")) or (action == "failed" and not status)
    return Bounce(
        permanent=permanent,
        status=status,
        action=action,
        recipient=recipient,
        diagnostic=diagnostic,
        verp_id=verp_id,
        original_message_id=_original_message_id(message),
    )


def read_calendar_reply(message: Message) -> CalendarReply | None:
    """An iTIP REPLY (RFC 5546) in a text/calendar part or an attached .ics."""
    for part in message.walk():
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() not in {"text/calendar", "application/ics"} and not filename.endswith(
            ".ics"
        ):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        try:
            calendar = icalendar.Calendar.from_ical(data)
        except ValueError:
            continue
        if str(calendar.get("METHOD", "")).upper() != "REPLY":
            continue
        for event in calendar.walk("VEVENT"):
            attendee = event.get("ATTENDEE")
            if isinstance(attendee, list):
                attendee = attendee[0] if attendee else None
            address = str(attendee) if attendee is not None else ""
            partstat = attendee.params.get("PARTSTAT") if attendee is not None else None
            try:
                sequence = int(event.get("SEQUENCE", 0))
            except (TypeError, ValueError):
                sequence = 0
            return CalendarReply(
                uid=str(event.get("UID", "")),
                sequence=sequence,
                attendee=re.sub(r"^mailto:", "", address, flags=re.IGNORECASE).strip().lower() or None,
                partstat=str(partstat).upper() if partstat else None,
            )
    return None


# --- the text the sender wrote -----------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """HTML to plain text, leaving out quoted mail: blockquotes, Gmail's and Thunderbird's quote
    blocks, and everything from Outlook's reply header (divRplyFwdMsg, the border-top rule) on."""

    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote", "hr"}
    _SKIP_TAGS = {"style", "script", "head", "title", "blockquote"}
    _SKIP_CLASSES = {"gmail_quote", "gmail_attr", "moz-cite-prefix", "gmail_signature", "moz-signature"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        values = {name: (value or "") for name, value in attrs}
        classes = set(values.get("class", "").split())
        style = values.get("style", "").replace(" ", "").lower()
        if values.get("id", "") in {"divRplyFwdMsg", "appendonsend"} or (
            tag == "div" and "border-top:solid" in style
        ):
            self.stopped = True
            return
        if tag in self._SKIP_TAGS or classes & self._SKIP_CLASSES:
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.stopped and self.skip_tag is None:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # Block elements each end a line; Outlook writes one <div> per line, so runs collapse to one break.
    return re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip()


_ATTRIBUTION = [
    re.compile(r"^\s*On\b.{0,300}\bwrote\s*:\s*$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird (en)
    re.compile(r"^\s*Le\b.{0,300}\ba\s+écrit\s*:\s*$", re.IGNORECASE),  # fr
    re.compile(r"^.{0,300}\b(написал|написала|написал\(а\)|пишет)\s*:\s*$", re.IGNORECASE),  # ru
    re.compile(r"^.{0,300}\byazdı\s*:\s*$", re.IGNORECASE),  # az
    # Gmail in Russian and others name no verb: "пн, 3 мар. 2027 г. в 10:00, Name <a@b>:"
    re.compile(r"^.{0,300}\b\d{4}\b.{0,300}<[^<>\s]+@[^<>\s]+>\s*:\s*$"),
]
_HEADER_FROM = re.compile(r"^\s*\**\s*(From|De|От|Kimdən|Von)\s*\**\s*:", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\**\s*(Sent|Date|Envoyé|Отправлено|Дата|Göndərildi|Göndərilib|Tarix|Gesendet)\s*\**\s*:",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Message d'origine|Исходное сообщение|Orijinal mesaj|Forwarded message)"
    r".*|_{10,})\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(--\s?|Sent from my .*|Get Outlook for .*|Envoyé de mon .*|Отправлено с .*|.*-dan göndərildi)$",
    re.IGNORECASE,
)


def strip_quotes(text: str) -> str:
    """The new text of a reply: up to the first attribution line, reply header block, separator or
    signature delimiter; quoted (">") lines dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if any(p.match(stripped) or p.match(joined) for p in _ATTRIBUTION):
            break
        if _HEADER_FROM.match(stripped) and any(_HEADER_SENT.match(n) for n in lines[index + 1 : index + 6]):
            break
        if _SEPARATOR.match(stripped) or _SIGNATURE.match(line.rstrip()):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _body_part(message: EmailMessage) -> tuple[str, str] | None:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        data = part.get_payload(decode=True)
        content = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    return part.get_content_subtype(), str(content)


def reply_text(message: EmailMessage) -> str:
    found = _body_part(message)
    if found is None:
        return ""
    subtype, content = found
    return strip_quotes(html_to_text(content) if subtype == "html" else content)


def attachments(message: EmailMessage) -> list[Attachment]:
    """Files the sender attached (not inline images of a signature, not calendar answers)."""
    found = []
    for part in message.iter_attachments():
        filename = part.get_filename()
        if not filename or part.get_content_type() in {"text/calendar", "application/ics"}:
            continue
        if filename.lower().endswith(".ics") or part.get_content_disposition() != "attachment":
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            found.append(
                Attachment(
                    filename=without_nul(filename)[:300], content_type=part.get_content_type(), data=data
                )
            )
    return found


def parse(raw: bytes) -> Parsed:
    message = read_message(raw)
    recipients = _recipients(message)
    from_name, from_address = parseaddr(header(message, "From"))
    bounce = read_bounce(message, recipients)
    reply_token = next((t for r in recipients if (t := reply_token_in(r))), None)
    return Parsed(
        message_id=header(message, "Message-ID") or None,
        from_address=from_address.lower() or None,
        from_name=from_name,
        subject=header(message, "Subject"),
        in_reply_to=header(message, "In-Reply-To") or None,
        recipients=recipients,
        bounce=bounce,
        auto_reply=None if bounce else auto_reply_reason(message),
        calendar=None if bounce else read_calendar_reply(message),
        reply_token=reply_token,
        unsubscribe_token=next((t for r in recipients if (t := unsubscribe_token_in(r))), None),
        text=without_nul(reply_text(message)) if reply_token else "",
        attachments=attachments(message) if reply_token else [],
    )
