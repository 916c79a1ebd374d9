"""Everything a person reads in an export, in the reader's language (``lang=az|ru|en|fr``).

The texts live in this file (those shared with the annotated Word draft in consult.word.texts),
marked with ``N_``, so that ``pybabel extract`` (babel.cfg) puts them in the one catalog of consult
(consult/mail/translations); the writers translate them with ``Labels``.
Enum values (comment kinds, decisions, attributions, sources, kinds of organisation) are shown by
their label, never by their code; JSON exports keep the codes, for the tools that read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date

from consult.mail.i18n import N_, best_language, gettext, zone_label
from consult.word.texts import KIND_LABELS
from consult.word.texts import PROPOSED_TEXT as PROPOSED_TEXT
from consult.word.texts import REPLY_TO as REPLY_TO
from consult.word.texts import TAKEN_UP_IN as TAKEN_UP_IN

# --- the matrix's column headers (consult.exports.matrix.COLUMNS) ----------------------------------
H_NUMBER = N_("No.")
H_REPLY_TO = N_("Reply to")
H_SECTION = N_("Section")
H_HEADING = N_("Heading")
H_QUOTE = N_("Quoted passage")
H_ORGANISATION = N_("Organisation")
H_ORGANISATION_KIND = N_("Kind of organisation")
H_AUTHOR = N_("Author")
H_ATTRIBUTION = N_("Shown as")
H_KIND = N_("Comment kind")
H_SOURCE = N_("Source")
H_TEXT = N_("Comment")
H_PROPOSED = N_("Proposed text")
# Translators: a column of dates and times; the zone is e.g. "Baku time" or "UTC".
H_WRITTEN = N_("Written (%(zone)s)")
H_DECISION = N_("Decision")
H_RATIONALE = N_("Rationale")
H_TAKEN_UP = N_("Taken up in")

# --- codes shown as words ----------------------------------------------------------------------
ENUM_LABELS: dict[str, dict[str, str]] = {
    "kind": KIND_LABELS,  # the annotated Word draft's too
    "decision": {
        "accepted": N_("Accepted"),
        "partially_accepted": N_("Partially accepted"),
        "not_accepted": N_("Not accepted"),
        "noted": N_("Noted"),
    },
    "attribution": {
        "named": N_("Named"),
        "organisation": N_("Organisation only"),
        "anonymous": N_("Anonymous"),
    },
    "source": {
        "web": N_("Website"),
        "email": N_("Email"),
        "word": N_("Word file"),
        "round_table": N_("Round-table minutes"),
    },
    "organisation_kind": {
        "government": N_("Government"),
        "public_agency": N_("Public agency"),
        "social_service": N_("Social service provider"),
        "ngo": N_("NGO"),
        "private_sector": N_("Private sector"),
        "international": N_("International organisation"),
        "academia": N_("Academia"),
        "other": N_("Other"),
    },
}
NOT_ANSWERED = N_("Not answered yet")
# Translators: people who take part without an organisation.
INDIVIDUALS = N_("Individuals")
# Translators: in a count of comments by kind of organisation, those that show none.
NOT_SHOWN = N_("Not shown (anonymous or no organisation)")

# --- the reports' wording ----------------------------------------------------------------------
CONSOLIDATED_FEEDBACK = N_("Consolidated feedback")
SUMMARY = N_("Summary")
COMMENTS = N_("Comments")
DRAFT = N_("Draft")
DRAFT_VERSION = N_("%(title)s, version %(number)s")
# Translators: the comment round's dates; the times are followed by the time zone.
OPEN_FROM_TO = N_("Comment round open from %(start)s to %(end)s (%(zone)s)")
OPENS = N_("Opens")
CLOSES = N_("Closes")
FIGURES = N_("Figures")
FIGURE = N_("Figure")
COUNT = N_("Count")
SHARE = N_("Share")
COMMENTS_AND_REPLIES = N_("Comments and replies exported")
THREADS = N_("Top-level comments")
REPLIES = N_("Replies")
BY_SECTION = N_("Comments by section")
BY_ORGANISATION_KIND = N_("Comments by kind of organisation")
BY_DECISION = N_("Comments by decision")
BY_SOURCE = N_("Comments by source")
RESPONSE_RATE = N_("Response rate (invited organisations that commented)")
RESPONDED = N_("%(responded)s of %(invited)s invited organisations commented")
SILENT = N_("Invited organisations that did not comment")
NONE = N_("None")
WHOLE_DRAFT = N_("Whole draft")
NO_COMMENTS = N_("No comments.")
FROM = N_("From")
ANSWER = N_("Answer")
# REPLY_TO, PROPOSED_TEXT, TAKEN_UP_IN: consult.word.texts, shared with the annotated Word draft.
# Translators: where an answer says a comment was taken up: "version 2, 1.1.3 One-stop desk".
VERSION_SECTION = N_("version %(number)s, %(section)s")
# Translators: an export's file name: "<round title> comments 2026-11-30.xlsx".
FILE_NAME = N_("%(title)s comments %(date)s")

# --- the participation statistics workbook (consult.exports.stats) -----------------------------
PARTICIPANTS = N_("Participants (attended at least one event)")
THEIR_ORGANISATIONS = N_("Their organisations")
COMMENTS_RECEIVED = N_("Comments received")
ORGANISATIONS_THAT_COMMENTED = N_("Organisations that commented")
PARTICIPANTS_BY_KIND = N_("Participants by kind of organisation")
PEOPLE = N_("People")
EVENTS = N_("Events")
ROUNDS = N_("Rounds")
EVENT = N_("Event")
STARTS = N_("Starts (%(zone)s)")
GROUP = N_("Group")
KIND_OR_ORGANISATION = N_("Kind of organisation / organisation")
GROUP_TOTAL = N_("All invited")
GROUP_KIND = N_("Kind of organisation")
GROUP_ORGANISATION = N_("Organisation")
FIGURE_HEADERS = (
    N_("Invited"),
    N_("Accepted the invitation"),
    N_("Declined the invitation"),
    N_("Tentative"),
    N_("No answer"),
    N_("Attended"),
    N_("of whom not invited"),
    N_("checked in at the door"),
    N_("in the online meeting"),
    N_("Minutes online (all)"),
)
ROUND = N_("Round")
AUTHORS = N_("Authors")
ORGANISATIONS = N_("Organisations")
INVITED_ORGANISATIONS = N_("Invited organisations")
INVITED_THAT_COMMENTED = N_("Invited organisations that commented")
PARTICIPATION_FILE_NAME = N_("%(title)s participation %(date)s")


@dataclass(frozen=True)
class Labels:
    """The export's texts in one language, with dates in one time zone."""

    language: str
    zone: str  # IANA name

    @classmethod
    def of(cls, language: str | None, zone: str) -> Labels:
        return cls(best_language(language), zone)

    def t(self, message: str, **values: object) -> str:
        text = gettext(self.language, message)
        return text % values if values else text

    def enum(self, group: str, code: str | None) -> str | None:
        """The label of a code (``enum("decision", "not_accepted")`` -> "Not accepted")."""
        if code is None:
            return None
        return self.t(ENUM_LABELS[group].get(code, code))

    def source(self, code: str, day: dt.date | None = None) -> str:
        """How a comment came, with the day of the event whose minutes it is a point of
        ("Round-table minutes, 8 April 2027")."""
        label = self.enum("source", code) or code
        if day is None:
            return label
        return f"{label}, {format_date(day, 'long', locale=self.language)}"

    def organisation_kind(self, code: str | None) -> str:
        return self.enum("organisation_kind", code) or self.t(INDIVIDUALS)

    def commenting_kind(self, code: str | None) -> str:
        """A kind of organisation in the comments' figures, where None also counts anonymous ones."""
        return self.enum("organisation_kind", code) or self.t(NOT_SHOWN)

    def decision(self, code: str | None) -> str:
        return self.enum("decision", code) or self.t(NOT_ANSWERED)

    @property
    def zone_name(self) -> str:
        """ "Baku time" (in the language); "UTC" for UTC, which has no city."""
        if self.zone in ("UTC", "Etc/UTC"):
            return "UTC"
        return zone_label(self.zone, self.language)

    def local(self, value: dt.datetime) -> dt.datetime:
        """``value`` as a wall-clock time in the zone, without the offset (spreadsheet cells have none)."""
        from zoneinfo import ZoneInfo

        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)
