"""Every email, in every language, compared with a committed snapshot (tests/mail/snapshots/).

Each snapshot holds what the reader gets: the subject, the text and HTML bodies and, for the
invitation emails, the calendar part, rendered with the project's own functions from a fixed context.
A change to a template, a catalog or the date formatting shows up here as a readable diff; when
it is intended, ``UPDATE_SNAPSHOTS=1 pytest tests/mail/test_snapshots.py`` rewrites the files.

Pure unit tests: no database, no SMTP.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from consult.events.calendar import Attendee, CalendarEvent, Party, build_calendar
from consult.invitations.mailing import _SPECS as INVITATION_SPECS
from consult.invitations.mailing import reader_description
from consult.mail.i18n import SUPPORTED_LANGUAGES, TRANSLATIONS_DIR
from consult.mail.models import EmailKind
from consult.mail.render import TEMPLATES_DIR, RenderedEmail, render_email
from tests.mail import contexts
from tests.mail.contexts import LAUNCH, ROUND_TABLE, launch_context, round_table_context
from tests.polls.samples import poll_sample
from tests.snapshots import assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
# DTSTAMP is the time of sending; the snapshots fix it.
STAMP = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)
ORGANIZER = Party(email=contexts.ORGANISER_EMAIL, name="Migrant integration consultation")


@dataclass(frozen=True)
class Sample:
    context: Callable[[str], dict[str, Any]]
    event: CalendarEvent | None = None  # the event of an invitation email, for its calendar part


SAMPLES: dict[str, Sample] = {
    EmailKind.INVITATION: Sample(launch_context, LAUNCH),
    EmailKind.EVENT_UPDATE: Sample(lambda lang: launch_context(lang, rsvp="accepted"), LAUNCH),
    EmailKind.EVENT_CANCELLED: Sample(
        lambda lang: round_table_context(
            lang, reason="The partner project postponed the round tables.", rsvp_links=None
        ),
        ROUND_TABLE,
    ),
    EmailKind.UNINVITED: Sample(lambda lang: launch_context(lang, rsvp_links=None), LAUNCH),
    EmailKind.REMINDER: Sample(round_table_context, ROUND_TABLE),
    EmailKind.WAITLISTED: Sample(lambda lang: launch_context(lang, rsvp_links=None), LAUNCH),
    EmailKind.WAITLIST_PROMOTED: Sample(lambda lang: launch_context(lang, rsvp_links=None), LAUNCH),
    EmailKind.ROUND_OPENED: Sample(contexts.round_context),
    EmailKind.ROUND_EXTENDED: Sample(contexts.round_context),
    EmailKind.ROUND_CLOSING: Sample(contexts.round_context),
    EmailKind.COMMENT_RESPONSE: Sample(contexts.comment_response_context),
    EmailKind.REPLY_DIGEST: Sample(contexts.reply_digest_context),
    EmailKind.EXPORT_READY: Sample(contexts.export_ready_context),
    EmailKind.POLL_INVITATION: Sample(poll_sample),
    EmailKind.POLL_REMINDER: Sample(poll_sample),
    EmailKind.POLL_DECIDED: Sample(lambda lang: poll_sample(lang, decided=True)),
    EmailKind.QUESTIONNAIRE_INVITATION: Sample(contexts.questionnaire_context),
    EmailKind.QUESTIONNAIRE_REMINDER: Sample(contexts.questionnaire_context),
    EmailKind.QUESTIONNAIRE_CONFIRMATION: Sample(contexts.questionnaire_confirmation_context),
    # Not an outbox kind: the intake answers an incoming email at once (consult.inbound.service).
    "intake_answer": Sample(contexts.intake_answer_context),
}


def _rendered(name: str, language: str) -> tuple[RenderedEmail, str | None]:
    """The email and, for an invitation kind, its calendar part as consult.invitations.mailing builds it."""
    sample = SAMPLES[name]
    context = sample.context(language)
    email = render_email(name, language, context)
    if sample.event is None:
        return email, None
    method = INVITATION_SPECS[EmailKind(name)].method
    if method is None:
        return email, None
    ics = build_calendar(
        sample.event,
        method,
        organizer=ORGANIZER,
        attendee=Attendee(email="reader@example.org", name=context["person_name"], role="REQ-PARTICIPANT"),
        description=reader_description(sample.event, language, context["rsvp_links"]),
        stamp=STAMP,
    )
    return email, f"--- text/calendar; method={method.value} ---\n" + ics.decode().replace("\r\n", "\n")


def _snapshot_text(name: str, language: str) -> str:
    email, calendar = _rendered(name, language)
    parts = [
        f"Subject: {email.subject}\n",
        f"--- text/plain ---\n{email.text}",
        f"--- text/html ---\n{email.html}\n",
    ]
    if calendar is not None:
        parts.append(calendar)
    return "\n".join(parts)


def test_every_email_template_and_kind_has_a_sample() -> None:
    templates = {p.name for p in (TEMPLATES_DIR / "email").iterdir() if p.is_dir()}
    assert set(SAMPLES) == templates
    assert {kind.value for kind in EmailKind} <= set(SAMPLES)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("name", SAMPLES)
def test_email_matches_its_snapshot(name: str, language: str) -> None:
    assert_snapshot(SNAPSHOTS / f"{name}.{language}.txt", _snapshot_text(name, language))


# --- no English left in a translated email ----------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\(\w+\)s")


@cache
def _translated_english(language: str) -> frozenset[str]:
    """The English phrases (two words or more, between placeholders) that ``language`` translates."""
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    return frozenset(
        phrase.strip()
        for message in catalog
        if message.id and message.string and message.string != message.id
        for phrase in _PLACEHOLDER.split(str(message.id))
        if len(phrase.split()) >= 2
    )


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
@pytest.mark.parametrize("name", SAMPLES)
def test_translated_emails_leave_no_english_behind(name: str, language: str) -> None:
    email, _calendar = _rendered(name, language)
    shown = "\n".join([email.subject, email.text, html.unescape(email.html)])
    leaked = sorted(phrase for phrase in _translated_english(language) if phrase in shown)
    assert leaked == [], f"{name} in {language} shows English text that the catalog translates"


def test_the_english_check_sees_english() -> None:
    """The check above can fail: the English email shows phrases that every catalog translates."""
    email, _calendar = _rendered(EmailKind.INVITATION, "en")
    for language in ("az", "ru", "fr"):
        assert any(phrase in email.text for phrase in _translated_english(language))
