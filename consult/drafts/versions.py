"""From one version of a draft to the next: which sections are the same (their keys), what changed.

Pure functions, no database. A section's ``key`` is its identity across versions, so comments made
on version 1 can be followed into version 2. A new section takes the key of an old one when it
keeps that section's number and heading, its number, or its heading (see ``match_keys``).
"""

from __future__ import annotations

import difflib
import enum
import re
import secrets
import string
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from consult.drafts.parsing import DASHES, split_heading

_KEY_ALPHABET = string.ascii_lowercase + string.digits
_DASH_RUNS = re.compile(f"[{re.escape(DASHES)}]+")


def new_section_key() -> str:
    """Short and URL-safe, e.g. "s-4k9qz0b1xm"; 36**10 keys make a repeat within a document unlikely,
    and ``assign_keys`` rules out the rest."""
    return "s-" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(10))


def heading_title(heading: str) -> str:
    """What two headings must share to count as the same heading: the text after any label and
    number, ignoring case, spacing and the kind of dash. "Action 1.2.1 — Work permits" and
    "Action 1.2.2 - work  permits" share "work permits"."""
    _, title = split_heading(heading)
    title = unicodedata.normalize("NFC", title).casefold()
    return " ".join(_DASH_RUNS.sub("-", title).split())


@dataclass(frozen=True)
class SectionLabel:
    number: str
    heading: str

    @cached_property
    def title(self) -> str:
        return heading_title(self.heading)


def match_keys(previous: dict[str, SectionLabel], current: Sequence[SectionLabel]) -> list[str | None]:
    """The key each current section inherits from the previous version (``previous`` maps keys to
    sections, in draft order), or None for a new section. Each old key goes to one section at most.

    Matches are made in three passes, each in draft order: (1) same number and heading; (2) same
    number; (3) same heading. A heading match outranks a bare number match, so pass 2 skips a pair
    when either section's heading is still waiting for its twin on the other side: when a section is
    inserted and its followers are renumbered, the followers keep their keys through their headings
    and the inserted section is new, instead of each one taking over its predecessor's key.
    """
    keys: list[str | None] = [None] * len(current)
    free = dict(previous)

    def claim(index: int, candidates: Iterable[str]) -> None:
        key = next((key for key in candidates if key in free), None)
        if key is not None:
            keys[index] = key
            del free[key]

    by_number_and_title = _keys_by(previous, lambda label: (label.number, label.title))
    for index, label in enumerate(current):
        claim(index, by_number_and_title.get((label.number, label.title), ()))

    unmatched_titles = {current[index].title for index, key in enumerate(keys) if key is None}
    free_titles = {label.title for label in free.values()}
    by_number = _keys_by(previous, lambda label: label.number)
    for index, label in enumerate(current):
        if keys[index] is None and not (label.title and label.title in free_titles):
            claim(
                index,
                (
                    key
                    for key in by_number.get(label.number, ())
                    if not (previous[key].title and previous[key].title in unmatched_titles)
                ),
            )

    by_title = _keys_by(previous, lambda label: label.title)
    for index, label in enumerate(current):
        if keys[index] is None and label.title:
            claim(index, by_title.get(label.title, ()))
    return keys


def _keys_by(
    sections: dict[str, SectionLabel], attribute: Callable[[SectionLabel], Hashable]
) -> dict[Hashable, list[str]]:
    found: dict[Hashable, list[str]] = {}
    for key, label in sections.items():
        found.setdefault(attribute(label), []).append(key)
    return found


def assign_keys(matched: Sequence[str | None], *, reserved: Iterable[str]) -> list[str]:
    """Fill the unmatched places with fresh keys, none of them used before (``reserved``): a fresh
    key equal to a removed section's would tie the comments on that section to the new one."""
    taken = set(reserved) | {key for key in matched if key is not None}
    keys: list[str] = []
    for key in matched:
        if key is None:
            key = new_section_key()
            while key in taken:
                key = new_section_key()
            taken.add(key)
        keys.append(key)
    return keys


class Change(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"  # heading or body differ; a new number alone is not a change of text
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SectionText:
    key: str
    number: str
    heading: str
    body: str

    def as_text(self) -> str:
        return f"{self.heading}\n\n{self.body}" if self.body else self.heading


@dataclass(frozen=True)
class SectionChange:
    key: str
    change: Change
    section: SectionText | None  # in the version compared; None when removed
    old_section: SectionText | None  # in the version compared against; None when added
    diff: str | None  # unified diff of heading and body, for changed sections


def diff_sections(
    old: Sequence[SectionText], new: Sequence[SectionText], *, old_label: str, new_label: str
) -> list[SectionChange]:
    """Every section of either version, matched by key, in the new version's draft order; a removed
    section is placed after the section that preceded it in the old version."""
    old_by_key = {section.key: section for section in old}
    new_keys = {section.key for section in new}
    removed_after: dict[str | None, list[SectionText]] = {}
    anchor: str | None = None
    for section in old:
        if section.key in new_keys:
            anchor = section.key
        else:
            removed_after.setdefault(anchor, []).append(section)

    def removed(key: str | None) -> list[SectionChange]:
        return [
            SectionChange(key=s.key, change=Change.REMOVED, section=None, old_section=s, diff=None)
            for s in removed_after.get(key, [])
        ]

    changes = removed(None)
    for section in new:
        changes.append(_compare(old_by_key.get(section.key), section, old_label, new_label))
        changes.extend(removed(section.key))
    return changes


def _compare(old: SectionText | None, new: SectionText, old_label: str, new_label: str) -> SectionChange:
    if old is None:
        return SectionChange(key=new.key, change=Change.ADDED, section=new, old_section=None, diff=None)
    if (old.heading, old.body) == (new.heading, new.body):
        return SectionChange(key=new.key, change=Change.UNCHANGED, section=new, old_section=old, diff=None)
    diff = difflib.unified_diff(
        old.as_text().split("\n"),
        new.as_text().split("\n"),
        fromfile=f"{old_label} {old.number}",
        tofile=f"{new_label} {new.number}",
        lineterm="",
    )
    return SectionChange(
        key=new.key, change=Change.CHANGED, section=new, old_section=old, diff="\n".join(diff)
    )
