"""Languages, message catalogs and date formatting for emails and the pages linked from them.

The .po files in ``translations/<lang>/LC_MESSAGES/`` are the source of truth. They are compiled in
memory the first time a language is used, so there is no build step and no .mo file to keep in sync.
Update the catalogs with (from the repository root):

    pybabel extract -F babel.cfg --no-location --sort-output -c Translators: \
        --project consult -o consult/mail/translations/messages.pot .
    pybabel update -i consult/mail/translations/messages.pot -d consult/mail/translations

then translate the new (empty or fuzzy) entries in each messages.po.

``tests/mail/test_render.py`` fails when the .pot is stale or a translation is missing.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import format_timedelta, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED_LANGUAGES = ("en", "az", "ru", "fr")
DEFAULT_LANGUAGE = "en"

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"

# Formatting locale per language. English readers of consult are in Baku, Vienna and Brussels:
# British English gives them "10 March 2027" and a 24-hour clock instead of "March 10, 2:00 PM".
_LOCALES = {"en": "en_GB", "az": "az", "ru": "ru", "fr": "fr"}

# Clock times everywhere as 24-hour "10:00": the CLDR short time is 24-hour in all four locales
# above, but an explicit pattern keeps that true whatever CLDR decides next.
_CLOCK = "HH:mm"
_DASH = "\u2013"  # en dash, between the two ends of a time range


def N_(message: str) -> str:
    """Marks a string for extraction without translating it; translate later with ``gettext``.

    ``N_`` is one of the names ``pybabel extract`` looks for by default.
    """
    return message


# Labels that Python code builds outside the templates. They live here so that ``pybabel extract``
# finds them (it reads this file); callers translate them with ``gettext(language, label)``.
# Translators: a time zone named after its city, shown in brackets after a time: "(Baku time)".
_ZONE_LABEL = N_("%(city)s time")
EXTERNAL_LABELS = (
    # consult.invitations.service.CHANGE_LABELS: what changed, listed in the update email.
    # Translators: lower-case nouns, listed after "What has changed:" (e.g. "time, place").
    N_("time"),
    N_("format"),
    N_("place"),
    N_("meeting link"),
    # consult.invitations.mailing: the calendar entry's description (the last two as in the emails).
    N_("Reply"),
    N_("Join online:"),
    N_("Agenda"),
)


def best_language(language: str | None) -> str:
    """The supported language closest to ``language`` ("ru-RU", "RU", "az_Latn" work); else English."""
    if not language:
        return DEFAULT_LANGUAGE
    primary = language.replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    """The catalog for ``language``, compiled in memory from its .po file (once per process).

    English is the source language and needs no catalog; a message missing from a catalog (or with
    an empty translation) comes out in English, as gettext does.
    """
    language = best_language(language)
    po_path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    # Fuzzy entries are guesses left by `pybabel update`; they are not shown until a person checks them.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(language: str, message: str) -> str:
    """``message`` in ``language``; for labels built in Python (templates use ``_()`` / ``{% trans %}``)."""
    return translations(language).gettext(message)


def _local(value: dt.datetime, zone: str) -> dt.datetime:
    # Times are stored in UTC; a naive value (SQLite drops the offset) is read as UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(zone))


def format_time(value: dt.datetime, zone: str, language: str) -> str:
    """Wall-clock time in ``zone``: "10:00"."""
    return _babel_time(_local(value, zone), _CLOCK, locale=_LOCALES[best_language(language)])


def zone_label(zone: str, language: str) -> str:
    """The zone as readers know it: "Baku time", "Bakı vaxtı", "Баку", "heure de Bakou"."""  # noqa: RUF002
    language = best_language(language)
    city = get_timezone_location(ZoneInfo(zone), locale=_LOCALES[language], return_city=True)
    return gettext(language, _ZONE_LABEL) % {"city": city}


def format_when(starts_at: dt.datetime, ends_at: dt.datetime, zone: str, language: str) -> str:
    """When an event happens, in ``zone``, for a reader of ``language``.

    "Wednesday, 10 March 2027, 10:00-16:00 (Baku time)"; an event that ends on another day (in that
    zone) shows both dates: "Friday, 26 March 2027, 18:00 - Saturday, 27 March 2027, 13:00 (...)".
    The dashes are en dashes, as typography wants for ranges.
    Each end is converted on its own, so an event across a DST change shows the right clock times.
    """
    language = best_language(language)
    locale = _LOCALES[language]
    start, end = _local(starts_at, zone), _local(ends_at, zone)
    start_date = _babel_date(start.date(), "full", locale=locale)
    start_time = _babel_time(start, _CLOCK, locale=locale)
    end_time = _babel_time(end, _CLOCK, locale=locale)
    where = zone_label(zone, language)
    if start.date() == end.date():
        return f"{start_date}, {start_time}{_DASH}{end_time} ({where})"
    end_date = _babel_date(end.date(), "full", locale=locale)
    return f"{start_date}, {start_time} {_DASH} {end_date}, {end_time} ({where})"


def format_moment(value: dt.datetime, zone: str, language: str) -> str:
    """One point in time, in ``zone``: "Wednesday, 10 March 2027, 18:00 (Baku time)" (a deadline)."""
    language = best_language(language)
    local = _local(value, zone)
    day = _babel_date(local.date(), "full", locale=_LOCALES[language])
    return f"{day}, {format_time(value, zone, language)} ({zone_label(zone, language)})"


def format_in(delta: dt.timedelta, language: str) -> str:
    """How far ahead something is: "in 1 hour", "через 1 день", "dans 30 minutes", "1 gün sonra".

    Rounded the way people talk (23 hours is "in 1 day"); a negative delta reads "1 hour ago".
    """
    return format_timedelta(
        delta,
        granularity="minute",
        threshold=0.85,
        add_direction=True,
        format="long",
        locale=_LOCALES[best_language(language)],
    )
