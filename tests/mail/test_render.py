"""Localised emails and pages: the event emails and pages in every language, escaping, header
safety, dates and time zones, and the translation catalogs themselves (complete, and in sync with the
templates). Every email kind, word for word, is in the snapshots of test_snapshots.py.

Pure unit tests: no database, no HTTP.
"""

# The expected strings are Azerbaijani, Russian and French, with en dashes: not look-alike typos.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from consult.mail.compose import one_line
from consult.mail.i18n import (
    SUPPORTED_LANGUAGES,
    best_language,
    format_in,
    format_time,
    format_when,
    gettext,
)
from consult.mail.render import RenderedEmail, is_web_url, render_email
from consult.web.pages import render_page
from tests.mail.contexts import LAUNCH_END, LAUNCH_START, UTC, launch_context, round_table_context

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "consult" / "mail" / "translations"
TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != "en"]

# The emails about an event, rendered from an event's context.
EVENT_EMAILS = [
    "invitation",
    "event_update",
    "event_cancelled",
    "uninvited",
    "reminder",
    "waitlist_promoted",
    "waitlisted",
]
PAGES = ["rsvp", "rsvp_done", "link_invalid", "error"]

# --- every event email and page renders in every language ---------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("name", EVENT_EMAILS)
@pytest.mark.parametrize("make_context", [launch_context, round_table_context], ids=["launch", "round_table"])
def test_every_event_email_renders(name: str, language: str, make_context: Any) -> None:
    context = make_context(language)
    email = render_email(name, language, context)

    assert isinstance(email, RenderedEmail)
    assert email.subject and email.subject == email.subject.strip()
    assert "\n" not in email.subject and "\r" not in email.subject
    assert context["event"]["title"] in email.subject
    assert context["event"]["title"] in email.text
    assert context["when_event"] in email.text
    assert email.text.endswith("\n") and "\n\n\n" not in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}"' in email.html
    assert email.html.rstrip().endswith("</html>")
    assert "max-width:600px" in email.html
    assert "<style" not in email.html  # inline styles only: many clients drop <style>
    assert "consult@migration.gov.az" in email.text and "mailto:consult@migration.gov.az" in email.html


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders(name: str, language: str) -> None:
    html = render_page(name, language, launch_context(language, preselected="tentative"))
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_link_invalid_needs_no_context() -> None:
    """The controller knows nothing about the reader of an unknown link."""
    html = render_page("link_invalid", "en", {})
    assert "This link is no longer valid" in html
    assert "contact the organisers" in html


# --- content of each email -----------------------------------------------------------------------


def test_invitation_has_details_agenda_buttons_and_calendar_note() -> None:
    email = render_email("invitation", "en", launch_context("en"))
    assert email.subject == "You are invited to Launch of the migrant integration strategy"
    assert "When: Wednesday, 10 March 2027, 10:00–16:00 (Baku time)" in email.text
    assert "Where: State Migration Service, 2 Ziya Bunyadov Avenue, Baku" in email.text
    # agenda: local times in the event's zone, speaker when there is one
    assert "10:00  Overview of the MIEUX+ and MOBILAZE 2 projects (ICMPD)" in email.text
    assert "11:30  Capacities and needs of the institutions involved (State Migration Service)" in email.text
    assert "14:00  Goals and pillars of the integration strategy\n" in email.text
    assert email.html.count('<td valign="top"') == 6
    for answer, label in (("accepted", "Accept"), ("tentative", "Maybe"), ("declined", "Decline")):
        url = f"https://consult.example.org/rsvp/rsvp_launch?answer={answer}"
        assert f"{label}: {url}" in email.text
        assert f'<a href="{url}"' in email.html
    assert "calendar file attached" in email.text and "calendar file attached" in email.html


def test_online_event_shows_both_time_zones_and_a_clickable_link() -> None:
    email = render_email("invitation", "en", round_table_context("en"))
    assert "When: Wednesday, 14 April 2027, 13:00–15:00 (Baku time)" in email.text
    assert "In your time zone: Wednesday, 14 April 2027, 11:00–13:00 (Vienna time)" in email.text
    assert "Join online: https://meet.example.org/mobilaze-rt1?pwd=a1&lang=en" in email.text
    assert '<a href="https://meet.example.org/mobilaze-rt1?pwd=a1&amp;lang=en"' in email.html
    assert "Where:" not in email.text  # no place for an online event


def test_only_web_links_become_hrefs() -> None:
    event = {**round_table_context("en")["event"], "online_url": "javascript:alert(1)"}
    email = render_email("invitation", "en", round_table_context("en", event=event))
    assert 'href="javascript' not in email.html
    assert "javascript:alert(1)" in email.html  # still shown, as text
    assert (
        is_web_url("https://meet.example.org/x") and not is_web_url("//evil.example") and not is_web_url(None)
    )


def test_update_lists_what_changed_in_the_readers_language() -> None:
    en = render_email("event_update", "en", launch_context("en", rsvp="accepted"))
    assert en.subject == "Updated: Launch of the migrant integration strategy"
    assert "What has changed: time, place." in en.text
    assert "Your answer so far: I will attend." in en.text
    ru = render_email("event_update", "ru", launch_context("ru", rsvp="accepted"))
    assert "Что изменилось: время, место проведения." in ru.text
    assert "Ваш текущий ответ: «Приду»." in ru.text
    assert 'href="https://consult.example.org/rsvp/rsvp_launch?answer=declined"' in ru.html


def test_cancellation_shows_the_reason_but_no_place_or_link() -> None:
    context = round_table_context(
        "en", reason="The partner project postponed the round tables.", rsvp_links=None
    )
    email = render_email("event_cancelled", "en", context)
    assert email.subject == "Cancelled: Round table: key concepts of integration"
    assert "Reason: The partner project postponed the round tables." in email.text
    assert "meet.example.org" not in email.text and "meet.example.org" not in email.html
    without = render_email("event_cancelled", "en", launch_context("en", reason=None, rsvp_links=None))
    assert "Reason" not in without.text and "Reason" not in without.html


def test_withdrawn_invitation() -> None:
    email = render_email("uninvited", "fr", launch_context("fr", rsvp_links=None))
    assert email.subject == "Launch of the migrant integration strategy : votre invitation a été retirée"
    assert "retire l'événement de votre agenda" in email.text


def test_reminder_says_when_and_asks_only_those_who_have_not_answered() -> None:
    asking = render_email("reminder", "en", round_table_context("en"))
    assert asking.subject == "Reminder: Round table: key concepts of integration in 1 hour"
    assert "You have not answered yet" in asking.text
    assert "?answer=accepted" in asking.text and "?answer=accepted" in asking.html

    answered = render_email("reminder", "en", launch_context("en", rsvp="accepted", rsvp_links=None))
    assert answered.subject == "Reminder: Launch of the migrant integration strategy in 1 day"
    assert "We look forward to seeing you." in answered.text
    assert "?answer=" not in answered.text and "?answer=" not in answered.html

    assert render_email("reminder", "ru", round_table_context("ru")).subject.endswith("— через 1 час")
    assert "1 saat sonra başlayır" in render_email("reminder", "az", round_table_context("az")).subject


def test_waiting_list_emails() -> None:
    waiting = render_email("waitlisted", "en", launch_context("en", rsvp_links=None))
    assert waiting.subject == "You are on the waiting list: Launch of the migrant integration strategy"
    assert "waiting list" in waiting.text and "confirmed only once" in waiting.text
    promoted = render_email("waitlist_promoted", "az", launch_context("az", rsvp_links=None))
    assert promoted.subject == "Sizin üçün yer boşaldı: Launch of the migrant integration strategy"
    assert "iştirakınız təsdiqləndi" in promoted.text


# --- pages ---------------------------------------------------------------------------------------


def test_rsvp_page_has_a_form_with_three_answers_and_highlights_the_preselected_one() -> None:
    html = render_page(
        "rsvp", "en", round_table_context("en", preselected="declined", response="needs_action")
    )
    assert '<form method="post" action="/rsvp/rsvp_launch">' in html
    buttons = re.findall(r'<button type="submit" name="response" value="(\w+)" class="([\w ]+)"', html)
    assert buttons == [
        ("accepted", "accepted"),
        ("tentative", "tentative"),
        ("declined", "declined preselected"),
    ]
    assert html.count("autofocus") == 1
    assert "You chose “Decline” in the email" in html
    assert "Your current answer: No answer yet" in html
    assert "(Baku time)" in html and "(Vienna time)" in html
    assert 'href="https://meet.example.org/mobilaze-rt1?pwd=a1&amp;lang=en"' in html


def test_rsvp_page_without_preselection() -> None:
    html = render_page("rsvp", "ru", launch_context("ru", response="needs_action"))
    assert ' preselected"' not in html and "autofocus" not in html
    assert "Вы примете участие?" in html
    assert "Программа" in html  # the agenda


def _answer_buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="response" value="(\w+)"', html)


def test_rsvp_page_marks_the_current_answer_and_offers_to_change_it() -> None:
    html = render_page("rsvp", "az", launch_context("az", response="tentative"))
    assert "Cavabınızı dəyişin" in html  # "Change your answer", as the legend
    assert re.findall(r'value="(\w+)" class="[\w ]+"\s*aria-pressed="true">✓ ', html) == ["tentative"]
    assert (
        render_page("rsvp", "en", launch_context("en", response="tentative")).count(
            "Please let us know whether you will attend"
        )
        == 0
    )


def test_rsvp_page_of_a_cancelled_event_gives_the_reason_and_no_buttons() -> None:
    context = launch_context("ru", state="cancelled", cancellation_reason="Зал закрыт на ремонт.")
    html = render_page("rsvp", "ru", context)
    assert "Мероприятие отменено" in html and "Зал закрыт на ремонт." in html
    assert _answer_buttons(html) == [] and "<form" not in html
    assert "Вы примете участие?" not in html


def test_rsvp_page_of_a_past_event_has_no_buttons() -> None:
    html = render_page("rsvp", "fr", launch_context("fr", state="past"))
    assert "Cet événement a déjà eu lieu" in html
    assert _answer_buttons(html) == []


def test_rsvp_page_of_a_full_event_explains_the_waiting_list() -> None:
    html = render_page("rsvp", "az", launch_context("az", response="needs_action", full=True))
    assert "Hazırda bütün yerlər tutulub" in html
    assert _answer_buttons(html) == ["accepted", "tentative", "declined"]
    seated = render_page("rsvp", "en", launch_context("en", response="accepted", full=True))
    assert "All places are taken" not in seated


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("invitation", "о мероприятии"),
        ("round", "этап обсуждения"),
        ("unsubscribe", "отказа от рассылки"),
        ("personal", "страницу консультации"),
        (None, "последнего письма, которое вы от нас получили"),
    ],
)
def test_invalid_link_page_names_the_kind_of_link(kind: str | None, expected: str) -> None:
    html = render_page("link_invalid", "ru", {"link_kind": kind})
    assert "Ссылка" in html or "ссылк" in html
    assert expected in html


def test_page_controls_are_large_enough_and_visibly_focused() -> None:
    """WCAG 2.2: 44px targets with 16px text; a `font` shorthand ending in `inherit` is invalid CSS
    (browsers drop it and buttons fall back to 13px)."""
    html = render_page("rsvp", "en", launch_context("en", preselected="accepted"))
    style = html[html.index("<style>") : html.index("</style>")]
    button = re.search(r"\n  button \{([^}]*)\}", style)
    assert button is not None
    assert "min-height: 44px" in button.group(1) and "font-size: 16px" in button.group(1)
    assert not re.search(r"font:[^;]*inherit", style)
    assert "opacity" not in style  # stepped-back buttons stay at full contrast
    assert "button:focus-visible" in style and "a:focus-visible" in style


def test_rsvp_done_tells_about_the_waiting_list() -> None:
    waiting = render_page("rsvp_done", "en", launch_context("en", response="accepted", waitlisted=True))
    assert "We have recorded your answer: I will attend." in waiting
    assert "you are on the waiting list" in waiting
    seated = render_page("rsvp_done", "fr", launch_context("fr", response="accepted", waitlisted=False))
    assert "« Je participerai »" in seated and "liste d'attente" not in seated
    declined = render_page("rsvp_done", "az", launch_context("az", response="declined"))
    assert "«İştirak etməyəcəyəm»" in declined
    assert 'href="/rsvp/rsvp_launch"' in declined  # to change the answer


# --- safety: headers and escaping ----------------------------------------------------------------

HOSTILE_TITLE = 'Launch\r\nBcc: x@evil.example <script>alert(1)</script> "quotes" & ampersands'


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("name", EVENT_EMAILS)
def test_subject_stays_one_line(name: str, language: str) -> None:
    event = {**launch_context(language)["event"], "title": HOSTILE_TITLE}
    subject = render_email(name, language, launch_context(language, event=event)).subject
    assert "\r" not in subject and "\n" not in subject
    assert "Launch Bcc: x@evil.example" in subject  # kept, but harmless on one line
    assert "<script>" in subject  # a subject is plain text: not HTML-escaped


def test_one_line_removes_every_line_break() -> None:
    assert one_line(" a\r\nb\nc\rd\u2028e\u0085f\tg  ") == "a b c d e f g"


@pytest.mark.parametrize("name", EVENT_EMAILS)
def test_user_text_is_escaped_in_html_and_readable_in_text(name: str) -> None:
    hostile = '<script>alert(1)</script> "quotes" & ampersands'
    context = launch_context(
        "en",
        person_name=hostile,
        event={
            "title": hostile,
            "description": hostile,
            "location": hostile,
            "online_url": None,
            "format": "in_person",
        },
        agenda=[{"time": "10:00", "title": hostile, "speaker": hostile}],
        reason=hostile,
    )
    email = render_email(name, "en", context)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quotes&#34; &amp; ampersands" in email.html
    assert hostile in email.text
    assert "&lt;" not in email.text and "&amp;" not in email.text


@pytest.mark.parametrize("name", PAGES)
def test_pages_escape_user_text(name: str) -> None:
    hostile = '<script>alert(1)</script> "quotes" & ampersands'
    event = {**launch_context("en")["event"], "title": hostile, "description": hostile}
    html = render_page(name, "en", launch_context("en", event=event, person_name=hostile))
    assert "<script>" not in html


# --- languages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "month", "words"),
    [
        ("ru", "марта", ["Приглашение:", "Когда:", "Программа", "Приду", "Не приду", "(Баку)"]),
        ("fr", "mars", ["Invitation :", "Quand :", "Programme", "Accepter", "Refuser", "(heure de Bakou)"]),
        ("az", "mart", ["Dəvət:", "Vaxt:", "Proqram", "Qəbul edirəm", "İmtina edirəm", "(Bakı vaxtı)"]),
    ],
)
def test_translated_emails_differ_from_english(language: str, month: str, words: list[str]) -> None:
    english = render_email("invitation", "en", launch_context("en"))
    email = render_email("invitation", language, launch_context(language))
    assert email.subject != english.subject
    assert email.text != english.text
    assert month in email.text and month in email.html
    for word in words:
        assert word in f"{email.subject}\n{email.text}", word
    assert "When:" not in email.text and "Will you attend" not in email.text


def test_languages_do_not_leak_into_each_other() -> None:
    """One environment per language: rendering Russian first must not change the English email."""
    before = render_email("invitation", "en", launch_context("en"))
    render_email("invitation", "ru", launch_context("ru"))
    assert render_email("invitation", "en", launch_context("en")) == before


def test_unknown_language_falls_back_to_english() -> None:
    assert render_email("invitation", "de", launch_context("de")) == render_email(
        "invitation", "en", launch_context("en")
    )
    assert render_page("rsvp", "de", launch_context("de")) == render_page("rsvp", "en", launch_context("en"))
    assert format_when(LAUNCH_START, LAUNCH_END, "Asia/Baku", "de") == format_when(
        LAUNCH_START, LAUNCH_END, "Asia/Baku", "en"
    )
    assert gettext("de", "place") == "place"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("az", "az"),
        ("RU", "ru"),
        ("fr-BE", "fr"),
        ("ru_RU", "ru"),
        ("az-Latn-AZ", "az"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_best_language(given: str | None, expected: str) -> None:
    assert best_language(given) == expected


def test_gettext_for_python_labels() -> None:
    assert [gettext("ru", label) for label in ("time", "place", "meeting link")] == [
        "время",
        "место проведения",
        "ссылка для подключения",
    ]
    assert gettext("fr", "Reply") == "Répondre"
    assert gettext("az", "not in any catalog") == "not in any catalog"


# --- dates and time zones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Wednesday, 10 March 2027, 10:00–16:00 (Baku time)"),
        ("ru", "среда, 10 марта 2027\u202fг., 10:00–16:00 (Баку)"),
        ("fr", "mercredi 10 mars 2027, 10:00–16:00 (heure de Bakou)"),
        ("az", "10 mart 2027"),
    ],
)
def test_format_when_same_day(language: str, expected: str) -> None:
    assert expected in format_when(LAUNCH_START, LAUNCH_END, "Asia/Baku", language)


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=UTC)


LAUNCH = (LAUNCH_START, LAUNCH_END)
TWO_DAYS = (utc(2027, 5, 20, 5, 0), utc(2027, 5, 21, 9, 0))
# 19:00-21:00 UTC is one evening in Vienna (CEST) but runs past midnight in Baku.
EVENING = (utc(2027, 6, 1, 19, 0), utc(2027, 6, 1, 21, 0))
# Clocks go from 02:00 CET to 03:00 CEST on 28 March 2027: 00:30-02:30 UTC is 01:30-04:30 local.
DST_NIGHT = (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 2, 30))


@pytest.mark.parametrize(
    ("span", "zone", "expected"),
    [
        (LAUNCH, "Europe/Brussels", "Wednesday, 10 March 2027, 07:00–13:00 (Brussels time)"),
        (TWO_DAYS, "Asia/Baku", "Thursday, 20 May 2027, 09:00 – Friday, 21 May 2027, 13:00 (Baku time)"),
        (EVENING, "Europe/Vienna", "Tuesday, 1 June 2027, 21:00–23:00 (Vienna time)"),
        (EVENING, "Asia/Baku", "Tuesday, 1 June 2027, 23:00 – Wednesday, 2 June 2027, 01:00 (Baku time)"),
        (DST_NIGHT, "Europe/Brussels", "Sunday, 28 March 2027, 01:30–04:30 (Brussels time)"),
    ],
    ids=[
        "in-the-readers-zone",
        "over-several-days-shows-both-dates",
        "one-evening-in-vienna",
        "past-midnight-in-baku",
        "across-the-dst-change-in-brussels",
    ],
)
def test_format_when_in_english(span: tuple[dt.datetime, dt.datetime], zone: str, expected: str) -> None:
    assert format_when(*span, zone, "en") == expected


def test_format_when_over_several_days_shows_both_dates_in_russian() -> None:
    assert "20 мая" in format_when(*TWO_DAYS, "Asia/Baku", "ru")
    assert "21 мая" in format_when(*TWO_DAYS, "Asia/Baku", "ru")


def test_format_time_across_the_dst_change_in_brussels() -> None:
    # The same UTC hour a day apart is a different local hour on either side of the change.
    assert format_time(utc(2027, 3, 27, 9, 0), "Europe/Brussels", "fr") == "10:00"
    assert format_time(utc(2027, 3, 28, 9, 0), "Europe/Brussels", "fr") == "11:00"
    # Baku has no DST: 10:00 Baku time is 07:00 in Brussels before the change and 08:00 after.
    assert format_time(utc(2027, 3, 29, 6, 0), "Europe/Brussels", "en") == "08:00"


def test_format_time_reads_naive_values_as_utc() -> None:
    assert format_time(dt.datetime(2027, 3, 10, 6, 0), "Asia/Baku", "az") == "10:00"


@pytest.mark.parametrize(
    ("language", "delta", "expected"),
    [
        ("en", dt.timedelta(minutes=58), "in 1 hour"),
        ("en", dt.timedelta(hours=23, minutes=50), "in 1 day"),
        ("ru", dt.timedelta(hours=1), "через 1 час"),
        ("fr", dt.timedelta(days=2), "dans 2 jours"),
        ("az", dt.timedelta(hours=1), "1 saat sonra"),
    ],
)
def test_format_in(language: str, delta: dt.timedelta, expected: str) -> None:
    assert format_in(delta, language) == expected


# --- catalogs ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as po_file:
        return {message.id: message.string for message in read_po(po_file) if message.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    po_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    template = _catalog(TRANSLATIONS / "messages.pot")
    messages = [m for m in catalog if m.id]
    assert {m.id for m in messages} == set(template), "run pybabel update (see consult/mail/i18n.py)"
    for message in messages:
        assert isinstance(message.string, str) and message.string.strip(), (
            f"{language}: {message.id!r} untranslated"
        )
        assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy: check it and remove the flag"
        # A translation must use exactly the placeholders of the English text, or rendering fails.
        assert set(_PLACEHOLDER.findall(message.string)) == set(_PLACEHOLDER.findall(message.id)), message.id


def test_pot_is_in_sync_with_the_templates(tmp_path: Path) -> None:
    """Adding or changing a message without running the extractor fails here."""
    output = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(output), str(ROOT)]
    )
    extracted = set(_catalog(output))
    committed = set(_catalog(TRANSLATIONS / "messages.pot"))
    assert extracted, "the extractor found nothing: is babel.cfg right?"
    assert extracted - committed == set(), "new messages: run pybabel extract and update (see i18n.py)"
    assert committed - extracted == set(), "messages no longer used: run pybabel extract and update"
