"""Reading incoming mail without a database: each client's reply format in each language, calendar
answers, automatic replies and delivery status notifications."""

# ruff: noqa: RUF001
from __future__ import annotations

import uuid

import pytest

from consult.inbound.parsing import html_to_text, parse, strip_quotes
from tests.inbound.messages import REPLY_TEXTS, build

TOKEN = "abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize("name", sorted(REPLY_TEXTS))
def test_reply_text_without_quotes_and_signatures(name: str) -> None:
    sender, expected = REPLY_TEXTS[name]
    parsed = parse(build(name, TOKEN=TOKEN))
    assert parsed.reply_token == TOKEN
    assert parsed.from_address == sender
    assert parsed.bounce is None and parsed.auto_reply is None and parsed.calendar is None
    assert parsed.text == expected


def test_outlook_attachment_is_kept() -> None:
    [attachment] = parse(build("outlook_html.eml", TOKEN=TOKEN)).attachments
    assert attachment.filename == "ICMPD position.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.data.startswith(b"%PDF-1.4")


@pytest.mark.parametrize(
    ("name", "sender", "partstat"),
    [
        ("itip_outlook_accept", "a.gruber@icmpd.example.org", "ACCEPTED"),
        ("itip_google_decline", "l.dubois@eeas.example.org", "DECLINED"),
    ],
)
def test_calendar_replies(name: str, sender: str, partstat: str) -> None:
    parsed = parse(build(f"{name}.eml", ics=f"{name}.ics", UID="uid-1@example.org", SEQUENCE="2"))
    assert parsed.auto_reply is None and parsed.bounce is None
    assert parsed.calendar is not None
    assert (parsed.calendar.uid, parsed.calendar.sequence) == ("uid-1@example.org", 2)
    assert (parsed.calendar.attendee, parsed.calendar.partstat) == (sender, partstat)
    assert parsed.from_address == sender


@pytest.mark.parametrize("name", ["ooo_fr.eml", "ooo_ru_subject_only.eml"])
def test_out_of_office_is_automatic(name: str) -> None:
    parsed = parse(build(name, TOKEN=TOKEN))
    assert parsed.auto_reply is not None
    assert parsed.bounce is None


def test_postfix_dsn_is_a_bounce_before_it_is_an_auto_reply() -> None:
    row_id = uuid.uuid4()
    parsed = parse(
        build(
            "postfix_dsn.eml",
            VERP=row_id.hex,
            RECIPIENT="l.dubois@eeas.example.org",
            ORIGINAL_MESSAGE_ID="<orig-1@example.org>",
        )
    )
    assert parsed.auto_reply is None  # Auto-Submitted: auto-replied, but a bounce first
    bounce = parsed.bounce
    assert bounce is not None
    assert (bounce.verp_id, bounce.status, bounce.action, bounce.permanent) == (
        row_id,
        "5.1.1",
        "failed",
        True,
    )
    assert bounce.recipient == "l.dubois@eeas.example.org"
    assert bounce.original_message_id == "<orig-1@example.org>"
    assert "User unknown" in (bounce.diagnostic or "")


def test_strip_quotes_rules() -> None:
    assert strip_quotes("Yes.\n\n-----Original Message-----\nFrom: x") == "Yes."
    assert strip_quotes("Да.\n\n----- Исходное сообщение -----\nОт: x") == "Да."
    assert strip_quotes("Bəli.\n\nKimdən: Consult <a@example.org>\nGöndərildi: 3 mart 2027\n") == "Bəli."
    assert strip_quotes("Top.\n> quoted\nBottom.") == "Top.\nBottom."
    assert strip_quotes("Only this.\n-- \nSignature") == "Only this."


def test_html_to_text_drops_blockquotes_and_scripts() -> None:
    html = "<p>Mine &amp; ours</p><blockquote type='cite'><p>theirs</p></blockquote><script>x()</script>"
    assert html_to_text(html) == "Mine & ours"
