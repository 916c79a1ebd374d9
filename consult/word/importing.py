"""A Word file returned on a round's draft becomes comments: each Word comment a comment in the
section whose heading comes before it (its anchored text the quote when it is a passage of that
section), Word replies replies, the tracked changes of each paragraph one amendment (the text they
change as the quote, the text as changed as the proposal). What cannot be placed (a heading the
draft does not have, a comment whose place is not found) becomes a comment on the whole draft that
says so: nothing in the file is dropped.

The import is one transaction: all of it or nothing. Each item carries an idempotency key made of
the file's digest and the item's place in the file, so the same file sent again (twice by the
stakeholder, or by staff and by email) finds what the first import wrote and creates nothing new.
A dry run writes everything in a savepoint, reports, and rolls it back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from uuid import UUID

import anyio.to_thread
from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.auth.models import Role
from consult.auth.principals import StaffPrincipal, StakeholderPrincipal
from consult.directory.models import Person
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.drafts.parsing import split_heading
from consult.errors import Conflict, Forbidden, Invalid
from consult.mail.i18n import N_, gettext
from consult.rounds import schemas as round_schemas
from consult.rounds.models import Attribution, Comment, CommentKind, CommentSource, RoundInvitee
from consult.rounds.service import ActingService, RoundService
from consult.rounds.writing import WritingService
from consult.types import COMMENT_MAX_LENGTH
from consult.word.reading import Paragraph, Place, WordComment, WordFeedback, read_feedback
from consult.word.texts import ON_THE_PASSAGE, recognised

KEY_PREFIX = "word:"
_EXCERPT = 300  # characters of a passage repeated in a comment's text or the report
_DIGEST_CHARS = 40
# One request writes at most this many comments (about 15 s here): a file with more is sent in parts.
MAX_ITEMS = 5_000
NOT_RELATED = "does not look like this round's draft"


class ImportedLine(Struct):
    """One comment of the import: where it went and what it says."""

    comment_id: UUID | None  # None in a dry run
    kind: CommentKind
    is_reply: bool
    section_key: str | None  # None: on the whole draft
    section_number: str | None
    section_heading: str | None
    quote: str | None
    proposed_text: str | None
    excerpt: str  # the start of the comment's text
    word_author: str | None
    note: str | None  # why it is on the whole draft, or why its anchored text is not the quote
    new: bool  # False: an earlier import of the same file made it


class ImportCounts(Struct):
    comments: int  # top-level comments from Word comments
    replies: int
    amendments: int  # from tracked changes, one per changed paragraph
    whole_draft: int  # placed on the whole draft because their place was not found
    already_imported: int  # made by an earlier import of the same file: nothing new


class WordFeedbackReport(Struct):
    round_id: UUID
    person_id: UUID  # whose comments they are
    on_behalf_of_organisation: bool
    dry_run: bool
    file_sha256: str
    sections_matched: int  # headings of the file found in the draft
    headings_unmatched: list[str]  # headings of the file the draft does not have
    counts: ImportCounts
    lines: list[ImportedLine]
    summary: str


@dataclass
class Item:
    """Something of the file to become a comment."""

    key: str  # its place in the file: "c<comment id>" or "t<paragraph number>"
    kind: CommentKind
    body: str
    section: DocumentSection | None
    quote: str | None
    proposed_text: str | None
    parent: str | None  # the key of the item it answers
    position: int  # paragraph number, for draft order
    word_author: str | None
    note: str | None
    unplaced: bool  # meant for a section that was not found


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .:;-\u2013\u2014")


class _Sections:
    """The draft's sections by heading, by heading without its number, and by number."""

    def __init__(self, sections: list[DocumentSection]) -> None:
        self.by_heading: dict[str, DocumentSection] = {}
        self.by_title: dict[str, DocumentSection] = {}
        self.by_number: dict[str, DocumentSection] = {}
        for section in sections:
            self.by_heading.setdefault(_norm(section.heading), section)
            self.by_title.setdefault(_norm(split_heading(section.heading)[1]), section)
            self.by_number.setdefault(section.number, section)

    def match(self, heading: str) -> DocumentSection | None:
        """A retitled heading keeps its number, a renumbered one its words."""
        number, title = split_heading(" ".join(heading.split()))
        found = self.by_heading.get(_norm(heading)) or (
            self.by_title.get(_norm(title)) if _norm(title) else None
        )
        if found is None and number is not None:
            found = self.by_number.get(number)
        return found


def _excerpt(text: str, limit: int = _EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def passage(text: str, section: DocumentSection) -> str | None:
    """``text`` as a passage of the section's heading or body, as the draft writes it (spaces, tabs
    and line breaks may differ, and a table's cells or a list's items are joined as the draft joins
    them), or None when it is not one."""
    if not text.strip() or len(text) > COMMENT_MAX_LENGTH:
        return None
    if text in section.body or text in section.heading:
        return text
    pattern = r"\s+(?:[-|]\s+)?".join(re.escape(word) for word in text.split())
    for source in (section.body, section.heading):
        found = re.search(pattern, source)
        if found:
            return found.group(0)
    return None


Say = Callable[..., str]


def _sayer(language: str) -> Say:
    """What the import writes into a comment's text, in the draft's language: a message id, filled."""

    def say(message: str, **values: str) -> str:
        return gettext(language, message) % values if values else gettext(language, message)

    return say


def _english(message: str, **values: str) -> str:
    return message % values if values else message


@dataclass(frozen=True)
class _Reason:
    """Why something went on the whole draft: English in the report, the draft's language in the
    comment's text."""

    message: str
    values: dict[str, str]

    def in_(self, say: Say) -> str:
        return say(self.message, **self.values)


_NOT_IN_DRAFT = N_("it is under the heading \u201c%(heading)s\u201d, which this draft does not have")
_NOT_FOUND = N_("its place in the file was not found (a text box, header, footer or footnote)")
_ON_WHOLE_DRAFT = N_("(Imported from Word onto the whole draft: %(reason)s.)")
_ON_PASSAGE = N_("On \u201c%(passage)s\u201d: %(text)s")


def _fit(body: str, say: Say) -> str:
    """A comment's text within the limit (Word comments have none); never empty."""
    body = body.strip() or say(N_("(an empty comment in Word)"))
    if len(body) > COMMENT_MAX_LENGTH:
        cut = "\n\n" + say(N_("[\u2026 the rest of this Word comment is longer than a comment can be]"))
        body = body[: COMMENT_MAX_LENGTH - len(cut)].rstrip() + cut
    return body


@dataclass
class _Said:
    """What a Word comment says; for a comment of consult's own annotated export
    (consult.word.annotated), its text without the header and the lines the export adds."""

    text: str
    kind: CommentKind | None = None
    exported: bool = False
    passage: str | None = None  # "On the passage: “…”": the quote the export could not anchor
    proposed: str | None = None  # "Proposed text: …": an amendment without a passage
    shared: bool = False  # "Another amendment changes this passage too": its insertion is the last
    number: str | None = None  # the export's numbers: "6.1 · Reply to 6"
    reply_to: str | None = None


def _said(comment: WordComment) -> _Said | None:
    """None for the facilitators' answer an export adds to a thread: it is not feedback."""
    known = recognised()
    lines = list(comment.lines)
    first = lines[0].strip() if lines else ""
    if known.answer.match(first):
        return None
    header = known.header(first)
    if header is None:
        return _Said(comment.text)
    said = _Said(
        "",
        kind=CommentKind(known.kinds[header["kind"].strip().casefold()]),
        exported=True,
        number=header["number"],
        reply_to=header["reply_to"],
    )
    body = lines[1:]
    while body:
        last = body[-1]
        found = known.value(known.passages, last)
        proposed = known.value(known.proposals, last)
        if found is not None:
            said.passage = found
        elif proposed is not None:
            said.proposed = proposed
        elif last.startswith(known.shared):
            said.shared = True
        else:
            break
        body.pop()
    said.text = "\n".join(body).strip()
    return said


def _range_change(
    paragraph: Paragraph, start: Place, end: Place, others: set[int] | None = None
) -> tuple[str, str, set[int]] | None:
    """The tracked changes inside a comment's range, which make the comment an amendment: the
    range's text as it was and as changed, and the changes it takes (the paragraph's other changes
    become an amendment of their own). The reader starts a segment at each end of a range.
    ``others``: changes whose insertions are another comment's proposal (the export's competing
    amendments of one passage: a later one's range holds the earlier ones' insertions too)."""
    inside = range(start.segment, end.segment)
    segments = paragraph.segments
    skipped = {i for i in others or () if segments[i].kind == "ins"}
    taken = {i for i in inside if segments[i].kind != "orig" and segments[i].text and i not in skipped}
    if not taken:
        return None
    now = "".join(segments[i].text for i in inside if segments[i].kind != "del" and i not in skipped)
    return paragraph.original[start.offset : end.offset], now, taken


def _change_span(paragraph: Paragraph, taken: set[int]) -> tuple[str, str] | None:
    """The paragraph's changed stretch (but for the changes comments took) as it was and as
    changed, widened to whole words (a lone insertion takes the word before it, or after it), so the
    quote is a passage a reader can find and the proposal replaces it."""
    segments = paragraph.segments
    changed = [i for i, s in enumerate(segments) if s.kind != "orig" and s.text and i not in taken]
    if not changed:
        return None
    first, last = changed[0], changed[-1]

    def text(indices: range, drop: str) -> str:
        """The segments' text without those of kind ``drop``; a change a comment took reads as
        the draft had it (its deletion kept, its insertion left out)."""
        kept = []
        for i in indices:
            kind = segments[i].kind
            if kind == "orig" or kind != ("ins" if i in taken else drop):
                kept.append(segments[i].text)
        return "".join(kept)

    before = text(range(first), "ins")
    after = text(range(last + 1, len(segments)), "ins")
    was = text(range(first, last + 1), "ins")
    now = text(range(first, last + 1), "del")
    left = re.search(r"\S*$", before)
    right = re.match(r"\S*", after)
    lead, tail = (left.group(0) if left else ""), (right.group(0) if right else "")
    if not (lead + was + tail).strip():
        wider = re.search(r"\S+\s*$", before)
        if wider:
            lead = wider.group(0)
        else:
            following = re.match(r"\s*\S+", after)
            tail = following.group(0) if following else ""
    return lead + was + tail, lead + now + tail


def _authors(paragraph: Paragraph) -> str | None:
    names = list(dict.fromkeys(s.author for s in paragraph.segments if s.kind != "orig" and s.author))
    return ", ".join(names) or None


Places = list[DocumentSection | str | None]


def plan(
    feedback: WordFeedback, sections: list[DocumentSection], uploader: str, language: str = "en"
) -> tuple[list[Item], int, list[str]]:
    """What the file becomes: the items in draft order (a reply after what it answers), how many
    headings of the file were found in the draft, and the headings that were not. What the import
    writes into the comments' text is in ``language``, the draft's."""
    say = _sayer(language)
    draft = _Sections(sections)
    # The section each paragraph is in: None before the first heading (the title, the preamble),
    # a heading's text when the draft has no such heading.
    places: Places = []
    current: DocumentSection | str | None = None
    matched: set[str] = set()
    unmatched: list[str] = []
    for paragraph in feedback.paragraphs:
        if paragraph.heading_level is not None:
            heading = " ".join((paragraph.original or _new_text(paragraph)).split())
            if heading:
                current = draft.match(heading) or heading
                if isinstance(current, str):
                    unmatched.append(heading)
                else:
                    matched.add(current.key)
        places.append(current)

    taken: dict[int, set[int]] = {}  # per paragraph, the changes comments took
    proposed: set[tuple[str | None, str]] = set()  # exported amendments without a passage
    comment_items: dict[str, Item] = {}
    said = {comment.comment_id: _said(comment) for comment in feedback.comments}
    numbered = {s.number: key for key, s in said.items() if s is not None and s.number}
    for comment in feedback.comments:
        what = said[comment.comment_id]
        if what is None:
            continue
        if what.exported:
            # The export's header says what a comment answers ("6.1.1 · Reply to 6.1"): Word threads
            # every reply under the thread's first comment, and LibreOffice threads comments that
            # share a passage, so the thread comes back as it went out.
            parent = numbered.get(what.reply_to, comment.parent) if what.reply_to else None
            comment = replace(comment, parent=parent)
        item = _comment_item(feedback, comment, what, places, uploader, taken, say)
        comment_items[comment.comment_id] = item
        if what.proposed is not None and item.proposed_text is not None:
            proposed.add((item.section.key if item.section else None, item.proposed_text.strip()))
    items: list[Item] = []
    for number, paragraph in enumerate(feedback.paragraphs):
        if paragraph.changed:
            amendment = _amendment(number, paragraph, places[number], taken.get(number, set()), say)
            # The export writes an amendment without a passage as an inserted paragraph as well.
            if amendment is None:
                continue
            key = amendment.section.key if amendment.section else None
            if not (amendment.quote is None and (key, (amendment.proposed_text or "").strip()) in proposed):
                items.append(amendment)
    items.extend(item for item in comment_items.values() if item.parent is None)
    items.sort(key=lambda item: item.position)
    items.extend(_replies(feedback.comments, comment_items))
    return items, len(matched), list(dict.fromkeys(unmatched))


def _new_text(paragraph: Paragraph) -> str:
    return "".join(s.text for s in paragraph.segments if s.kind != "del")


def _where(place: DocumentSection | str | None) -> tuple[DocumentSection | None, _Reason | None]:
    """The section, or why there is none."""
    if isinstance(place, str):
        return None, _Reason(_NOT_IN_DRAFT, {"heading": _excerpt(place, 120)})
    return place, None


def _amendment(
    number: int, paragraph: Paragraph, place: DocumentSection | str | None, taken: set[int], say: Say
) -> Item | None:
    section, why = _where(place)
    author = _authors(paragraph)
    if not paragraph.original.strip():
        was, now = "", _new_text(paragraph)
    else:
        span = _change_span(paragraph, taken)
        if span is None:
            return None
        was, now = span
    quote = passage(was, section) if section is not None else None
    by = author or "?"
    if not now.strip():
        kind, proposed = CommentKind.COMMENT, None
        body = say(
            N_("Tracked change in Word by %(author)s: delete \u201c%(old)s\u201d."),
            author=by,
            old=_excerpt(was),
        )
    elif not was.strip():
        kind, proposed = CommentKind.AMENDMENT, now.strip()
        body = say(
            N_("Tracked change in Word by %(author)s: insert \u201c%(new)s\u201d."),
            author=by,
            new=_excerpt(now),
        )
    else:
        kind, proposed = CommentKind.AMENDMENT, now.strip()
        body = say(
            N_("Tracked change in Word by %(author)s: replace \u201c%(old)s\u201d with \u201c%(new)s\u201d."),
            author=by,
            old=_excerpt(was),
            new=_excerpt(now),
        )
    note = _english(why.message, **why.values) if why else None
    if why is None and section is not None and was.strip() and quote is None:
        note = "the text it changes is not a passage of this section of the draft"
    if why is not None:
        body += "\n\n" + say(_ON_WHOLE_DRAFT, reason=why.in_(say))
    elif section is None and was.strip():
        note = "it changes text before the first heading"
    return Item(
        key=f"t{number}",
        kind=kind,
        body=_fit(body, say),
        section=section,
        quote=quote,
        proposed_text=proposed[:COMMENT_MAX_LENGTH] if proposed is not None else None,
        parent=None,
        position=number,
        word_author=author,
        note=note,
        unplaced=why is not None,
    )


def _comment_item(
    feedback: WordFeedback,
    comment: WordComment,
    said: _Said,
    places: Places,
    uploader: str,
    taken: dict[int, set[int]],
    say: Say,
) -> Item:
    author = comment.author or None
    text = said.text
    # A comment of consult's export keeps its text as written; the uploader's file otherwise names
    # whoever wrote the comment in Word, when that is someone else.
    if author and not said.exported and _norm(author) != _norm(uploader):
        text = say(N_("%(author)s (in Word): %(text)s"), author=author, text=text)
    kind = said.kind or CommentKind.COMMENT
    proposed: str | None = said.proposed
    quote: str | None = None
    anchored = ""
    section: DocumentSection | None = None
    why: _Reason | None = None
    if comment.parent is not None:  # a reply: where the comment it answers is
        pass
    elif comment.start is None:
        why = _Reason(_NOT_FOUND, {})
    else:
        section, why = _where(places[comment.start.paragraph])
        anchored = feedback.anchored_text(comment)
    note = _english(why.message, **why.values) if why else None
    end = comment.end or comment.start
    if comment.parent is None and comment.start is not None and end is not None:
        paragraph = feedback.paragraphs[comment.start.paragraph]
        changed = None
        if end.paragraph == comment.start.paragraph and paragraph.changed:
            others = taken.get(comment.start.paragraph) if said.shared else None
            changed = _range_change(paragraph, comment.start, end, others)
        if changed is not None:
            # A comment on a tracked change is its reason: one amendment.
            was, now, segments = changed
            taken.setdefault(comment.start.paragraph, set()).update(segments)
            anchored, proposed = was, now.strip() or None
            kind = CommentKind.AMENDMENT if proposed else CommentKind.COMMENT
            if proposed is None:
                text = say(N_("Delete \u201c%(old)s\u201d. %(text)s"), old=_excerpt(was), text=text)
    if comment.parent is None and section is not None and anchored:
        heading_only = _norm(anchored) in (_norm(section.heading), _norm(split_heading(section.heading)[1]))
        quote = None if heading_only else passage(anchored, section)
        if quote is None and not heading_only:
            note = "the text it is anchored on is not a passage of this section of the draft"
            text = say(_ON_PASSAGE, passage=_excerpt(anchored), text=text)
    elif why is not None and anchored:
        text = say(_ON_PASSAGE, passage=_excerpt(anchored), text=text)
    if said.passage is not None:
        quote = quote or (passage(said.passage, section) if section is not None else None)
        if quote is None:
            text += "\n\n" + say(ON_THE_PASSAGE, passage=said.passage)
    if kind is CommentKind.AMENDMENT and not (proposed or "").strip():
        kind = CommentKind.COMMENT  # an amendment needs its text; the export's shared passage lost it
    if why is not None:
        text += "\n\n" + say(_ON_WHOLE_DRAFT, reason=why.in_(say))
    return Item(
        key=f"c{comment.comment_id}",
        kind=kind,
        body=_fit(text, say),
        section=section,
        quote=quote,
        proposed_text=proposed[:COMMENT_MAX_LENGTH] if proposed and kind is CommentKind.AMENDMENT else None,
        parent=f"c{comment.parent}" if comment.parent is not None else None,
        position=comment.start.paragraph if comment.start else len(places),
        word_author=author,
        note=note,
        unplaced=why is not None,
    )


def _replies(comments: list[WordComment], items: dict[str, Item]) -> list[Item]:
    """Replies after the comments they answer, level by level (a reply to a reply after both); a
    reply to nothing the import keeps (a loop of replies in a damaged file, the answer of an export)
    stands alone."""
    done = {item.key for item in items.values() if item.parent is None}
    waiting = [items[c.comment_id] for c in comments if c.comment_id in items and items[c.comment_id].parent]
    ordered: list[Item] = []
    while waiting:
        ready = [item for item in waiting if item.parent in done]
        if not ready:
            for item in waiting:
                item.parent = None
            ready = waiting
        ordered.extend(ready)
        done.update(item.key for item in ready)
        waiting = [item for item in waiting if item not in ready]
    return ordered


_WORD_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-word.document.macroenabled.12",
}


def is_word_file(filename: str, content_type: str) -> bool:
    """An attachment to take for a returned draft: a .docx by name or by type."""
    return filename.lower().endswith((".docx", ".docm")) or content_type.lower() in _WORD_TYPES


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def idempotency_key(digest: str, item_key: str) -> str:
    return f"{KEY_PREFIX}{digest[:_DIGEST_CHARS]}:{item_key}"


class WordImportService(ActingService):
    """Imports a returned Word file into a round, for the principal: a stakeholder's round link
    uploads as that stakeholder; staff (admins and facilitators) name the person, or the organisation
    whose official position the file is."""

    async def import_file(
        self,
        round_id: UUID,
        content: bytes,
        *,
        dry_run: bool = False,
        person_id: UUID | None = None,
        organisation_id: UUID | None = None,
        source: CommentSource = CommentSource.WORD,
    ) -> WordFeedbackReport:
        author, official = await self._author(round_id, person_id, organisation_id)
        feedback = await anyio.to_thread.run_sync(
            partial(read_feedback, content, max_bytes=self.settings.uploads.draft_max_bytes)
        )
        return await self.import_feedback(
            author, feedback, file_digest(content), dry_run=dry_run, official=official, source=source
        )

    async def import_feedback(
        self,
        author: StakeholderPrincipal,
        feedback: WordFeedback,
        digest: str,
        *,
        dry_run: bool = False,
        official: bool = False,
        source: CommentSource = CommentSource.WORD,
    ) -> WordFeedbackReport:
        round_ = await RoundService(self.session, self.settings, author).get(author.round_id)
        person = await self.session.get(Person, author.person_id)
        assert person is not None
        sections = list(
            await self.session.scalars(
                select(DocumentSection)
                .where(DocumentSection.version_id == round_.document_version_id)
                .order_by(DocumentSection.position)
            )
        )
        version = await self.session.get(DocumentVersion, round_.document_version_id)
        document = await self.session.get(Document, version.document_id) if version else None
        language = document.language.value if document is not None else "en"
        items, matched, unmatched = plan(feedback, sections, person.full_name, language)
        if len(items) > MAX_ITEMS:
            raise Invalid.field(
                "file",
                f"the file has {len(items):,} comments and changed paragraphs; an import takes at most "
                f"{MAX_ITEMS:,}: send it in parts",
            )
        if items and sections and matched == 0:
            found = (
                f"none of its {len(unmatched)} headings is" if unmatched else "it has no headings, nor is any"
            )
            raise Invalid.field(
                "file",
                f"the file {NOT_RELATED}: {found} a heading of the draft; nothing was imported",
            )
        if dry_run:
            savepoint = await self.session.begin_nested()
            try:
                lines = await self._write(author, items, digest, official, source)
            finally:
                await savepoint.rollback()
            for line in lines:
                line.comment_id = None
        else:
            try:
                async with self.session.begin_nested():
                    lines = await self._write(author, items, digest, official, source)
            except IntegrityError:
                # The same file is being imported at this moment by another request.
                raise Conflict("this file is being imported already; send it again in a minute") from None
        return _report(round_.id, author.person_id, official, dry_run, digest, matched, unmatched, lines)

    async def _author(
        self, round_id: UUID, person_id: UUID | None, organisation_id: UUID | None
    ) -> tuple[StakeholderPrincipal, bool]:
        """Whose comments the file holds, and whether they are an organisation's official position."""
        round_ = await RoundService(self.session, self.settings, self.principal).get(round_id)
        if isinstance(self.principal, StakeholderPrincipal):
            if person_id is not None or organisation_id is not None:
                raise Forbidden(
                    "a round link uploads as its own person; person_id and organisation_id are for staff"
                )
            return self.principal, False
        if not isinstance(self.principal, StaffPrincipal) or not self.principal.has_role(
            Role.ADMIN, Role.FACILITATOR
        ):
            raise Forbidden(
                "recording comments on someone's behalf needs a staff token with role admin or facilitator"
            )
        invitees = (
            select(Person)
            .join(RoundInvitee, RoundInvitee.person_id == Person.id)
            .where(RoundInvitee.round_id == round_.id)
        )
        if person_id is not None:
            person = await self.session.scalar(invitees.where(Person.id == person_id))
            if person is None:
                raise Invalid.field("person_id", f"person {person_id} is not invited to this round")
            if organisation_id is not None and person.organisation_id != organisation_id:
                raise Invalid.field("organisation_id", "the person does not belong to this organisation")
        elif organisation_id is not None:
            # The organisation's first invitee speaks for it (the one invited longest ago).
            person = await self.session.scalar(
                invitees.where(Person.organisation_id == organisation_id)
                .order_by(RoundInvitee.created_at, Person.id)
                .limit(1)
            )
            if person is None:
                raise Invalid.field(
                    "organisation_id",
                    "no one of this organisation is invited to this round; invite them first",
                )
        else:
            raise Invalid.field(
                "person_id",
                "name the person (person_id) or the organisation (organisation_id) whose comments these are",
            )
        return StakeholderPrincipal(person_id=person.id, round_id=round_.id), organisation_id is not None

    async def _write(
        self,
        author: StakeholderPrincipal,
        items: list[Item],
        digest: str,
        official: bool,
        source: CommentSource,
    ) -> list[ImportedLine]:
        writing = WritingService(self.session, self.settings, author)
        earlier = {
            comment.idempotency_key: comment
            for comment in await self.session.scalars(
                select(Comment).where(
                    Comment.author_id == author.person_id,
                    Comment.idempotency_key.startswith(idempotency_key(digest, ""), autoescape=True),
                )
            )
        }
        by_key = {item.section.key: item.section for item in items if item.section is not None}
        made: dict[str, Comment] = {}
        lines: list[ImportedLine] = []
        for item in items:
            key = idempotency_key(digest, item.key)
            comment = earlier.get(key)
            new = comment is None
            if comment is None:
                parent = made.get(item.parent) if item.parent else None
                data = round_schemas.CommentCreate(
                    body=item.body,
                    kind=item.kind,
                    section_key=item.section.key if item.section is not None and parent is None else None,
                    quote=item.quote if parent is None else None,
                    proposed_text=item.proposed_text,
                    parent_id=parent.id if parent is not None else None,
                    on_behalf_of_organisation=official,
                    attribution=Attribution.ORGANISATION if official else Attribution.NAMED,
                )
                comment = await writing.create(author.round_id, data, key, source=source, flush=False)
            made[item.key] = comment
            lines.append(_line(comment, item, new, by_key.get(comment.section_key or "")))
        await self.session.flush()
        return lines


def _line(comment: Comment, item: Item, new: bool, section: DocumentSection | None) -> ImportedLine:
    return ImportedLine(
        comment_id=comment.id,
        kind=comment.kind,
        is_reply=comment.parent_id is not None,
        section_key=comment.section_key,
        section_number=section.number if section is not None else None,
        section_heading=section.heading if section is not None else None,
        quote=comment.quote,
        proposed_text=comment.proposed_text,
        excerpt=_excerpt(comment.body, 160),
        word_author=item.word_author,
        note=item.note,
        new=new,
    )


def _report(
    round_id: UUID,
    person_id: UUID,
    official: bool,
    dry_run: bool,
    digest: str,
    matched: int,
    unmatched: list[str],
    lines: list[ImportedLine],
) -> WordFeedbackReport:
    fresh = [line for line in lines if line.new]
    counts = ImportCounts(
        comments=sum(1 for line in fresh if line.kind is not CommentKind.AMENDMENT and not line.is_reply),
        replies=sum(1 for line in fresh if line.is_reply),
        amendments=sum(1 for line in fresh if line.kind is CommentKind.AMENDMENT),
        whole_draft=sum(1 for line in fresh if line.section_key is None and not line.is_reply),
        already_imported=len(lines) - len(fresh),
    )
    if not lines:
        summary = "the file has no Word comments and no tracked changes: nothing to import"
    elif not fresh:
        summary = f"this file was imported before: its {len(lines)} comments are there already, nothing new"
    else:
        verb = "would create" if dry_run else "created"
        summary = (
            f"{verb} {counts.comments} comments, {counts.replies} replies and {counts.amendments} amendments"
            f" ({counts.whole_draft} on the whole draft)"
        )
    return WordFeedbackReport(
        round_id=round_id,
        person_id=person_id,
        on_behalf_of_organisation=official,
        dry_run=dry_run,
        file_sha256=digest,
        sections_matched=matched,
        headings_unmatched=unmatched,
        counts=counts,
        lines=lines,
        summary=summary,
    )
