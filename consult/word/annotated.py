"""The annotated draft: the round's draft version as a Word document with every exported comment in
the margin, replies and answers threaded under it, and amendments as tracked changes.

Layout, which the Word import relies on:
- the document title in the "Title" style (comments on the whole draft are anchored on it), then
  the preamble, then each section's heading in "Heading <level>" (its number, then its text, unless
  the text starts with the number already) and its body. Markdown paragraphs become paragraphs,
  "- " items "List Bullet" paragraphs (the marker dropped); other Markdown is kept as written.
- a comment's range covers exactly its quoted passage (the first place it occurs in the section's
  text, else in its heading); without a quote, or when the passage is not in the text, the range is
  the section's heading.
- each Word comment's first paragraph is a header in italics: "<number> · <kind> · <YYYY-MM-DD HH:MM>
  UTC" (a reply adds "Reply to <number>", a named author's organisation follows the kind); the
  comment's text follows, one paragraph per line. Replies and the facilitators' answer ("Answer to
  <number> · <decision>", the rationale, "Taken up in ...") are Word replies to the thread's first
  comment (``commentsExtended``), in the export's order, anchored on the same range. Lines the
  export adds after a comment's text: "On the passage: “...”" (its quote is not in the text),
  "Proposed text: ..." (an amendment without a passage), "Another amendment changes this passage
  too; ..." (see below). These words are in the export's language (``lang``; consult.word.texts,
  which the import recognises in all four).
- an amendment deletes its passage (``w:del``) and inserts its proposed text right after it
  (``w:ins``), authored like the comment and inside its range. A passage another amendment already
  deletes is deleted once: the later amendment only inserts. An amendment without a passage inserts
  its text as a paragraph at the end of the section.
- the custom document properties ``consult_round_id`` and ``consult_version`` name the round.

The writer reads the rows once and writes each part as one string (``consult.word.ooxml``): no
per-comment scans, so time grows with the number of comments, not its square.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol
from uuid import UUID

import docx
from docx.oxml.parser import parse_xml

from consult.drafts.parsing import split_heading
from consult.word import ooxml
from consult.word.ooxml import Ids, Revision, WordComment
from consult.word.texts import (
    ANSWER_TO,
    FACILITATORS,
    KIND_LABELS,
    ON_THE_PASSAGE,
    PROPOSED_TEXT,
    REPLY_TO,
    SEPARATOR,
    SHARED_PASSAGE,
    TAKEN_UP_IN,
    TIME_FORMAT,
)

Progress = Callable[[int], None]
PROGRESS_EVERY = 200

_LIST_ITEM = re.compile(r" {0,3}[-*+][ \t]+")


class SectionText(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def body(self) -> str: ...


class DraftInfo(Protocol):
    @property
    def round_id(self) -> UUID: ...
    @property
    def title(self) -> str: ...
    @property
    def document_title(self) -> str: ...
    @property
    def version_number(self) -> int: ...
    @property
    def preamble(self) -> str: ...
    @property
    def sections(self) -> Sequence[SectionText]: ...


class CommentRow(Protocol):
    """A row of the comment-response matrix (``consult.exports.matrix.MatrixRow``)."""

    @property
    def number(self) -> str: ...
    @property
    def reply_to(self) -> str | None: ...
    @property
    def level(self) -> int: ...
    @property
    def section_key(self) -> str | None: ...
    @property
    def quote(self) -> str | None: ...
    @property
    def organisation(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def attribution(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def proposed_text(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def decision(self) -> str | None: ...
    @property
    def rationale(self) -> str | None: ...
    @property
    def taken_up(self) -> str | None: ...


class Texts(Protocol):
    """The export's words in its language (``consult.exports.labels.Labels``)."""

    def t(self, message: str, **values: object) -> str: ...
    def enum(self, group: str, code: str | None) -> str | None: ...


class DraftSource(Protocol):
    """What the writer reads: the draft and the export's rows, threads depth-first in draft order."""

    @property
    def info(self) -> DraftInfo: ...
    @property
    def labels(self) -> Texts: ...
    def rows(self) -> Iterator[CommentRow]: ...


def heading_text(section: SectionText) -> str:
    """The heading as the document shows it: the number first, unless the heading starts with it
    ("Action 1.1.3 — ..." keeps its own)."""
    if split_heading(section.heading)[0] == section.number:
        return section.heading
    return f"{section.number} {section.heading}"


# --- the text, laid out in paragraphs ------------------------------------------------------------


@dataclass
class _Piece:
    raw: int | None  # where the text starts in its source (None: shown, but not in the source)
    text: str


@dataclass
class _Paragraph:
    style: str | None
    pieces: list[_Piece] = field(default_factory=list)
    events: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # see _START
    deletions: list[tuple[int, int, Revision]] = field(default_factory=list)  # [start, end) offsets
    mark: str = ""  # the paragraph mark's tracked change
    length: int = 0

    def add(self, raw: int | None, text: str) -> None:
        self.pieces.append(_Piece(raw, text))
        self.length += len(text)

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)


# Events are (offset, order, seq, sub, xml). At the same offset the ends of ranges come first, each
# thread's after its amendment's insertion (so a range holds its own insertion, not a competing
# one's), then the starts of the next ranges.
_END, _START = 1, 2


@dataclass
class _Source:
    """One text comments point into (a heading, a body), as shown: ``starts[i]`` is where piece i
    begins in the source, ``spots[i]`` the (paragraph, offset) where it is shown."""

    text: str
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    spots: list[tuple[int, int]] = field(default_factory=list)
    deleted: list[tuple[int, int]] = field(default_factory=list)  # sorted, disjoint

    def index(self, paragraph: int, offset: int, raw: int, length: int) -> None:
        self.starts.append(raw)
        self.ends.append(raw + length)
        self.spots.append((paragraph, offset))

    def start_spot(self, position: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.ends, position)  # the first piece ending after it
        if i == len(self.ends):
            return None
        paragraph, offset = self.spots[i]
        return paragraph, offset + max(position - self.starts[i], 0)

    def end_spot(self, position: int) -> tuple[int, int] | None:
        i = bisect.bisect_left(self.starts, position) - 1  # the last piece starting before it
        if i < 0:
            return None
        paragraph, offset = self.spots[i]
        return paragraph, offset + min(position, self.ends[i]) - self.starts[i]

    def claim(self, start: int, end: int) -> bool:
        """Take [start, end) for a deletion unless part of it is deleted already."""
        i = bisect.bisect_left(self.deleted, (start, end))
        if i > 0 and self.deleted[i - 1][1] > start:
            return False
        if i < len(self.deleted) and self.deleted[i][0] < end:
            return False
        self.deleted.insert(i, (start, end))
        return True


@dataclass(frozen=True)
class _Anchor:
    first: tuple[int, int]  # (paragraph, offset) where the range starts
    last: tuple[int, int]  # and ends
    source: _Source | None = None  # the passage's text, for an amendment; None: a heading or the title
    start: int = 0
    end: int = 0


class _Layout:
    def __init__(self, info: DraftInfo) -> None:
        self.paragraphs: list[_Paragraph] = []
        self.sources: dict[str, _Source] = {}
        self.section_end: dict[str, int] = {}  # body source -> index of its last paragraph
        self.appended: dict[int, list[str]] = {}  # paragraph index -> inserted paragraphs after it
        # Never empty: comments on the whole draft need a passage to hold.
        self.title = self._plain("title", info.document_title.strip() or info.title or "Draft", "Title")
        self._markdown("preamble", info.preamble)
        self.headings: dict[str, int] = {}
        for section in info.sections:
            shown = heading_text(section)
            self.headings[section.key] = len(self.paragraphs)
            paragraph = _Paragraph(f"Heading{min(max(section.level, 1), 9)}")
            source = self.sources[f"h:{section.key}"] = _Source(section.heading)
            prefix = len(shown) - len(section.heading)
            if prefix:
                paragraph.add(None, shown[:prefix])
            paragraph.add(0, section.heading)
            source.index(len(self.paragraphs), prefix, 0, len(section.heading))
            self.paragraphs.append(paragraph)
            self._markdown(f"b:{section.key}", section.body)

    def _plain(self, name: str, text: str, style: str) -> int:
        source = self.sources[name] = _Source(text)
        paragraph = _Paragraph(style)
        paragraph.add(0, text)
        source.index(len(self.paragraphs), 0, 0, len(text))
        self.paragraphs.append(paragraph)
        return len(self.paragraphs) - 1

    def _markdown(self, name: str, text: str) -> None:
        """Blank lines part paragraphs; "- " lines are list items, lines under them continue them;
        a line break inside a paragraph shows as a space."""
        source = self.sources[name] = _Source(text)
        current: _Paragraph | None = None
        position = 0
        for line in text.split("\n"):
            start, position = position, position + len(line) + 1
            if not line.strip():
                current = None
                continue
            item = _LIST_ITEM.match(line)
            if item or current is None:
                current = _Paragraph("ListBullet" if item else None)
                self.paragraphs.append(current)
                skip = item.end() if item else 0
            else:  # the line break, shown as a space
                source.index(len(self.paragraphs) - 1, current.length, start - 1, 1)
                current.add(start - 1, " ")
                skip = 0
            source.index(len(self.paragraphs) - 1, current.length, start + skip, len(line) - skip)
            current.add(start + skip, line[skip:])
        self.section_end[name] = len(self.paragraphs) - 1

    # --- anchors ---------------------------------------------------------------------------------

    def whole(self, paragraph: int) -> _Anchor:
        return _Anchor((paragraph, 0), (paragraph, self.paragraphs[paragraph].length))

    def anchor(self, section_key: str | None, quote: str | None) -> tuple[_Anchor, bool]:
        """Where a thread goes, and whether its quote was found."""
        if section_key is None or section_key not in self.headings:
            return self.whole(self.title), False
        heading = self.whole(self.headings[section_key])
        if not quote:
            return heading, False
        for name in (f"b:{section_key}", f"h:{section_key}"):
            source = self.sources[name]
            start = source.text.find(quote)
            if start < 0:
                continue
            first = source.start_spot(start)
            last = source.end_spot(start + len(quote))
            if first is not None and last is not None and first < last:
                return _Anchor(first, last, source, start, start + len(quote)), True
        return heading, False

    def comment_range(self, anchor: _Anchor, comment_id: int, seq: int) -> None:
        (p0, o0), (p1, o1) = anchor.first, anchor.last
        self.paragraphs[p0].events.append((o0, _START, seq, 0, ooxml.range_start(comment_id)))
        self.paragraphs[p1].events.append((o1, _END, seq, 1, ooxml.range_end(comment_id)))

    def amend(self, anchor: _Anchor, revision: Revision, proposed: str, seq: int) -> bool:
        """The passage deleted (unless another amendment deletes it already) and the proposed
        text inserted after it; False when only the insertion could be made."""
        deleted = anchor.source is not None and anchor.source.claim(anchor.start, anchor.end)
        (p0, o0), (p1, o1) = anchor.first, anchor.last
        if deleted:
            for index in range(p0, p1 + 1):
                paragraph = self.paragraphs[index]
                start = o0 if index == p0 else 0
                end = o1 if index == p1 else paragraph.length
                if end > start:
                    paragraph.deletions.append((start, end, revision))
                if index < p1:  # the paragraphs join when the deletion is accepted
                    paragraph.mark = f"<w:del {revision.attributes()}/>"
        if proposed:
            self.paragraphs[p1].events.append((o1, _END, seq, 0, ooxml.insertion(revision, proposed)))
        return deleted

    def add_paragraph(self, section_key: str | None, revision: Revision, text: str) -> None:
        """A tracked insertion of whole paragraphs at the end of a section (or of the preamble)."""
        # A section without a body ends with its heading; an empty preamble with the title.
        after = self.section_end[f"b:{section_key}" if section_key in self.headings else "preamble"]
        mark = f"<w:ins {revision.attributes()}/>"
        self.appended.setdefault(after, []).extend(
            ooxml.paragraph(ooxml.insertion(revision, line), mark=mark) for line in text.split("\n")
        )

    # --- writing ---------------------------------------------------------------------------------

    def body_xml(self) -> str:
        out: list[str] = []
        for index, paragraph in enumerate(self.paragraphs):
            out.append(ooxml.paragraph(_content(paragraph), style=paragraph.style, mark=paragraph.mark))
            out.extend(self.appended.get(index, ()))
        return "".join(out)


def _content(paragraph: _Paragraph) -> str:
    """The paragraph's runs, cut wherever a range starts or ends or a deletion begins or ends."""
    text = paragraph.text
    if not paragraph.events and not paragraph.deletions:
        return ooxml.run(text) if text else ""
    events = sorted(paragraph.events)
    cuts = sorted(
        {0, len(text)}
        | {e[0] for e in events}
        | {d[0] for d in paragraph.deletions}
        | {d[1] for d in paragraph.deletions}
    )
    deletions = sorted(paragraph.deletions, key=lambda d: d[0])
    out: list[str] = []
    e = d = 0
    for i, cut in enumerate(cuts):
        while e < len(events) and events[e][0] == cut:
            out.append(events[e][4])
            e += 1
        if i + 1 == len(cuts):
            break
        piece = text[cut : cuts[i + 1]]
        while d < len(deletions) and deletions[d][1] <= cut:
            d += 1
        if d < len(deletions) and deletions[d][0] <= cut:
            out.append(ooxml.deletion(deletions[d][2], piece))
        else:
            out.append(ooxml.run(piece))
    return "".join(out)


# --- the comments ----------------------------------------------------------------------------------


def _author(row: CommentRow, labels: Texts) -> str:
    anonymous = labels.enum("attribution", "anonymous") or "Anonymous"
    if row.attribution == "anonymous":
        return anonymous
    if row.attribution == "organisation":
        return row.organisation or anonymous
    return row.author or row.organisation or anonymous


def _header(row: CommentRow, labels: Texts) -> str:
    parts = [row.number]
    if row.reply_to:
        parts.append(labels.t(REPLY_TO, number=row.reply_to))
    parts.append(labels.t(KIND_LABELS.get(row.kind, row.kind)))
    if row.attribution == "named" and row.organisation:
        parts.append(row.organisation)
    parts.append(row.created_at.astimezone(dt.UTC).strftime(TIME_FORMAT))
    return SEPARATOR.join(parts)


def _answer(row: CommentRow, labels: Texts) -> list[str]:
    lines = [
        SEPARATOR.join([labels.t(ANSWER_TO, number=row.number), labels.enum("decision", row.decision) or ""])
    ]
    if row.rationale:
        lines.extend(row.rationale.split("\n"))
    if row.taken_up:
        lines.append(labels.t(TAKEN_UP_IN, place=row.taken_up))
    return lines


@dataclass
class _Thread:
    anchor: _Anchor
    found: bool
    root_id: int


def write_annotated_docx(source: DraftSource, out: IO[bytes], progress: Progress | None = None) -> int:
    """Write the annotated draft to ``out``; returns the number of comments (answers not counted)."""
    info, labels = source.info, source.labels
    facilitators = labels.t(FACILITATORS)
    layout = _Layout(info)
    ids = Ids()
    comments: list[WordComment] = []
    thread: _Thread | None = None
    answers: list[CommentRow] = []  # the thread's answers, after its replies
    count = 0

    def answer(row: CommentRow, thread: _Thread) -> None:
        answer_id = ids.next_id()
        comments.append(WordComment(answer_id, facilitators, None, _answer(row, labels), thread.root_id))
        layout.comment_range(thread.anchor, answer_id, answer_id)

    for row in source.rows():
        count += 1
        if thread is not None and row.level == 0:
            for answered in answers:
                answer(answered, thread)
            answers = []
        comment_id = ids.next_id()
        if row.level == 0 or thread is None:
            anchor, found = layout.anchor(row.section_key, row.quote)
            thread = _Thread(anchor, found, comment_id)
        author = _author(row, labels)
        paragraphs = [_header(row, labels), *row.text.split("\n")]
        if row.quote and not thread.found and row.level == 0:
            paragraphs.append(labels.t(ON_THE_PASSAGE, passage=row.quote))
        if row.kind == "amendment" and row.proposed_text is not None:
            revision = Revision(ids, author, row.created_at)
            if row.quote and thread.found and row.level == 0:
                if not layout.amend(thread.anchor, revision, row.proposed_text, comment_id):
                    paragraphs.append(labels.t(SHARED_PASSAGE))
            else:
                layout.add_paragraph(row.section_key, revision, row.proposed_text)
                paragraphs.append(labels.t(PROPOSED_TEXT, text=row.proposed_text))
        parent = None if comment_id == thread.root_id else thread.root_id
        comments.append(WordComment(comment_id, author, row.created_at, paragraphs, parent))
        layout.comment_range(thread.anchor, comment_id, comment_id)
        if row.decision:
            answers.append(row)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    for answered in answers:
        assert thread is not None  # answers are of rows of a thread
        answer(answered, thread)

    _save(layout, info, comments, ids, facilitators, out)
    return count


def write_draft_docx(info: DraftInfo, out: IO[bytes], author: str = "") -> None:
    """Write the draft alone, no comments: the clean copy a reader annotates in Word and sends
    back (its layout and properties are those the import places comments by)."""
    _save(_Layout(info), info, [], Ids(), author, out)


def _save(
    layout: _Layout, info: DraftInfo, comments: list[WordComment], ids: Ids, author: str, out: IO[bytes]
) -> None:
    document = docx.Document()
    body = document.element.body
    sect_pr = body.sectPr
    for child in list(body):
        if child is not sect_pr:
            body.remove(child)
    fragment = parse_xml(f"<w:body {ooxml.NAMESPACES}>{layout.body_xml()}</w:body>")
    for child in list(fragment):
        if sect_pr is not None:
            sect_pr.addprevious(child)
        else:
            body.append(child)
    if comments:
        comments_xml, extended_xml = ooxml.comment_parts(comments, ids)
        ooxml.add_part(document, "/word/comments.xml", ooxml.COMMENTS_TYPE, ooxml.COMMENTS_REL, comments_xml)
        ooxml.add_part(
            document,
            "/word/commentsExtended.xml",
            ooxml.COMMENTS_EXTENDED_TYPE,
            ooxml.COMMENTS_EXTENDED_REL,
            extended_xml,
        )
    properties = document.core_properties
    properties.title = ooxml.clean(info.document_title)[:255]
    properties.subject = ooxml.clean(info.title)[:255]
    properties.author = author
    ooxml.add_custom_properties(
        document, {"consult_round_id": str(info.round_id), "consult_version": str(info.version_number)}
    )
    document.save(out)
