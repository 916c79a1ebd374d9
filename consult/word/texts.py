"""The words the annotated draft (consult.word.annotated) writes around each comment, in the
export's language, and how the Word import (consult.word.importing) recognises them in any of the
four: a file exported in Russian and returned comes back without its header lines either.

Marked with ``N_`` for ``pybabel extract`` (babel.cfg); the labels shared with the other exports
(consult.exports.labels) are these same messages.
"""

from __future__ import annotations

import re
from functools import cache

from consult.mail.i18n import N_, SUPPORTED_LANGUAGES, gettext

KIND_LABELS = {"comment": N_("Comment"), "question": N_("Question"), "amendment": N_("Amendment")}
# Translators: the author of the facilitators' answers in the margin of the annotated Word draft.
FACILITATORS = N_("Facilitators")
REPLY_TO = N_("Reply to %(number)s")
# Translators: the first line of the facilitators' answer to comment 6 in the annotated Word draft,
# followed by the decision: "Answer to 6 · Accepted".
ANSWER_TO = N_("Answer to %(number)s")
PROPOSED_TEXT = N_("Proposed text: %(text)s")
TAKEN_UP_IN = N_("Taken up in %(place)s")
# Translators: a comment's passage the annotated Word draft could not find in the text.
ON_THE_PASSAGE = N_("On the passage: “%(passage)s”")
# Translators: in the annotated Word draft, under the second amendment of one passage.
SHARED_PASSAGE = N_("Another amendment changes this passage too; proposed text inserted after it.")

SEPARATOR = " · "
TIME_FORMAT = "%Y-%m-%d %H:%M UTC"


def _forms(message: str, **groups: str) -> list[str]:
    """``message`` in every language as a regular expression, each placeholder the given group."""
    out: list[str] = []
    for language in SUPPORTED_LANGUAGES:
        parts = re.split(r"(%\(\w+\)s)", gettext(language, message))
        out.append("".join(groups[p[2:-2]] if p.startswith("%(") else re.escape(p) for p in parts))
    return list(dict.fromkeys(out))


class Recognised:
    """The export's own lines, in any of the four languages (and the English of earlier exports,
    whose kinds were written as codes: "reply to 6 · amendment")."""

    def __init__(self) -> None:
        date = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"
        self.headers = [
            re.compile(
                rf"(?P<number>\S+)(?: · {reply})? · (?P<kind>[^·]+?)(?: · [^·]+)? · {date}", re.IGNORECASE
            )
            for reply in _forms(REPLY_TO, number=r"(?P<reply_to>\S+)")
        ]
        self.kinds: dict[str, str] = {}
        for code, label in KIND_LABELS.items():
            self.kinds[code] = code
            for language in SUPPORTED_LANGUAGES:
                self.kinds[gettext(language, label).casefold()] = code
        self.answer = re.compile("|".join(f"(?:{f}{SEPARATOR})" for f in _forms(ANSWER_TO, number=r"\S+")))
        self.passages = [re.compile(f, re.S) for f in _forms(ON_THE_PASSAGE, passage="(?P<text>.*)")]
        self.proposals = [re.compile(f, re.S) for f in _forms(PROPOSED_TEXT, text="(?P<text>.*)")]
        self.shared = tuple(
            gettext(language, SHARED_PASSAGE).split(";")[0] for language in SUPPORTED_LANGUAGES
        )

    def header(self, line: str) -> re.Match[str] | None:
        for pattern in self.headers:
            found = pattern.fullmatch(line)
            if found and found["kind"].strip().casefold() in self.kinds:
                return found
        return None

    @staticmethod
    def value(patterns: list[re.Pattern[str]], line: str) -> str | None:
        for pattern in patterns:
            found = pattern.fullmatch(line)
            if found:
                return found["text"]
        return None


@cache
def recognised() -> Recognised:
    return Recognised()
