"""Reading an uploaded draft (a Word .docx or Markdown text) into a preamble and a tree of sections.

Pure functions, no database. The format is told by the content, not the file name: a zip archive
holding ``word/document.xml`` is a Word document, UTF-8 text (with or without a byte order mark) is
Markdown. Each reader turns the file into a flat run of blocks (headings and paragraphs of body
text); ``_outline`` then nests the headings by level and numbers them.

Text is kept as written (no Unicode normalisation), so Azerbaijani and Cyrillic come back byte for
byte; only whitespace inside headings is collapsed (Word often puts a tab after "1.1.3").
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import docx
from docx.document import Document as WordDocument
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph

from consult.drafts.models import DraftFormat
from consult.errors import FieldError, Invalid, PayloadTooLarge
from consult.uploads import word_member_names

MAX_SECTIONS = 2_000

_ZIP_SIGNATURE = b"PK\x03\x04"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc
_SAVE_AS_HINT = "upload a Word document (.docx) or Markdown text saved as UTF-8"

# "Pillar 1 — ...", "Objective 1.1: ...", "1.1.3 ...", "3. ...": an optional label word (any
# script), then up to nine dot-separated parts of at most three digits (so "2030 Vision" is not a
# number), then a separator or the end of the heading.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphen-minus, hyphens, dashes, minus sign
_NUMBER_SEPARATORS = " \t.:;)]" + DASHES
_HEADING_NUMBER = re.compile(
    r"(?:[^\W\d_]+\.?\s+)?(?P<number>\d{1,3}(?:\.\d{1,3}){0,8})\.?"
    rf"(?=$|[{re.escape(_NUMBER_SEPARATORS)}])"
)

_ATX_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_WORD_HEADING_STYLE = re.compile(r"heading ([1-9])", re.IGNORECASE)
_WORD_BODY_OUTLINE_LEVEL = 9  # Word's outline level for body text; 0-8 are heading levels 1-9


@dataclass(frozen=True)
class Heading:
    level: int  # as written: Markdown 1-6, Word 1-9
    text: str


Block = Heading | str  # a heading, or a paragraph (list, table) of body text


@dataclass(frozen=True)
class ParsedSection:
    parent: int | None  # index of the parent section in ParsedDraft.sections
    level: int  # depth in the tree, 1 for top-level sections
    number: str
    heading: str
    body: str  # paragraphs separated by blank lines


@dataclass(frozen=True)
class ParsedDraft:
    format: DraftFormat
    preamble: str  # the text before the first heading
    sections: tuple[ParsedSection, ...]  # in draft order; a parent comes before its children


def read_draft(content: bytes, *, filename: str, max_bytes: int) -> ParsedDraft:
    """Parse an upload, or refuse it with a problem naming the field ``file`` and the reason."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"the file has {len(content):,} bytes; drafts are limited to {max_bytes:,} bytes",
            errors=[FieldError("file", f"larger than {max_bytes:,} bytes")],
        )
    if not content.strip():
        raise _file_error("the file is empty")
    if content.startswith(_ZIP_SIGNATURE):
        return _outline(DraftFormat.DOCX, _read_word_blocks(content))
    if content.startswith(_OLE2_SIGNATURE):
        raise _file_error(
            "old Word 97-2003 files (.doc) are not supported; in Word use File > Save As > "
            "'Word Document (.docx)'"
        )
    return _outline(DraftFormat.MARKDOWN, markdown_blocks(_markdown_text(content, filename)))


def split_heading(heading: str) -> tuple[str | None, str]:
    """The number a heading carries, if any, and the rest of it:
    "Action 1.1.3 — One-stop desk" -> ("1.1.3", "One-stop desk"); "Annexes" -> (None, "Annexes")."""
    found = _HEADING_NUMBER.match(heading)
    if found is None:
        return None, heading
    return found.group("number"), heading[found.end() :].lstrip(_NUMBER_SEPARATORS)


def _file_error(reason: str) -> Invalid:
    return Invalid.field("file", reason)


def _outline(draft_format: DraftFormat, blocks: Iterable[Block]) -> ParsedDraft:
    """Nest the headings by level (a heading belongs to the nearest earlier one of a higher level)
    and number them: the number a heading carries, otherwise its place among its siblings."""
    preamble: list[str] = []
    headings: list[Heading] = []
    bodies: list[list[str]] = []
    for block in blocks:
        if isinstance(block, Heading):
            if len(headings) == MAX_SECTIONS:
                raise _file_error(f"the draft has more than {MAX_SECTIONS:,} sections (headings)")
            headings.append(block)
            bodies.append([])
        elif bodies:
            bodies[-1].append(block)
        else:
            preamble.append(block)
    if not headings:
        raise _file_error(
            "no headings found; sections are made from headings: Markdown lines starting with "
            "'#' to '######', or Word paragraphs styled 'Heading 1' to 'Heading 9'"
        )

    sections: list[ParsedSection] = []
    open_headings: list[tuple[int, int]] = []  # (level as written, section index) that can take children
    child_counts: dict[int | None, int] = {}
    for heading, body in zip(headings, bodies, strict=True):
        while open_headings and open_headings[-1][0] >= heading.level:
            open_headings.pop()
        parent = open_headings[-1][1] if open_headings else None
        child_counts[parent] = ordinal = child_counts.get(parent, 0) + 1
        number, _ = split_heading(heading.text)
        if number is None:
            number = str(ordinal) if parent is None else f"{sections[parent].number}.{ordinal}"
        sections.append(
            ParsedSection(
                parent=parent,
                level=len(open_headings) + 1,
                number=number,
                heading=heading.text,
                body="\n\n".join(body),
            )
        )
        open_headings.append((heading.level, len(sections) - 1))
    return ParsedDraft(format=draft_format, preamble="\n\n".join(preamble), sections=tuple(sections))


def _markdown_text(content: bytes, filename: str) -> str:
    try:
        text: str | None = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        if filename.lower().endswith(".docx"):
            raise _file_error("the file is named .docx but is not a Word document (not a zip archive)")
        raise _file_error(f"the file is neither a Word document nor UTF-8 text; {_SAVE_AS_HINT}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def markdown_blocks(text: str) -> Iterator[Block]:
    """ATX headings (``#`` to ``######``) and paragraphs; a fenced code block stays one paragraph,
    blank lines and ``#`` lines included."""
    paragraph: list[str] = []
    fence: str | None = None  # the opening fence while inside a fenced code block
    for line in _lines(text):
        if fence is not None:
            paragraph.append(line)
            if _closes_fence(line, fence):
                fence = None
            continue
        opening = _FENCE.match(line)
        heading = _ATX_HEADING.fullmatch(line)
        if opening:
            fence = opening.group(1)
            paragraph.append(line.rstrip())
        elif heading:
            if paragraph:
                yield "\n".join(paragraph)
                paragraph = []
            if text := _heading_text(heading.group(2) or ""):
                yield Heading(len(heading.group(1)), text)
        elif line.strip():
            paragraph.append(line.rstrip())
        elif paragraph:
            yield "\n".join(paragraph)
            paragraph = []
    if paragraph:
        yield "\n".join(paragraph)


def _lines(text: str) -> Iterator[str]:
    """The lines one at a time (a list of them all would outweigh the text), split at "\n" only:
    splitlines() also breaks at U+2028 and other characters of the text."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _closes_fence(line: str, fence: str) -> bool:
    closing = _FENCE.match(line)
    return (
        closing is not None
        and closing.group(1)[0] == fence[0]
        and len(closing.group(1)) >= len(fence)
        and not line[closing.end() :].strip()
    )


def _heading_text(text: str) -> str:
    return " ".join(text.split())


def _read_word_blocks(content: bytes) -> Iterator[Block]:
    """The blocks as python-docx reads them, one at a time: ``_outline`` stops at the section limit
    instead of waiting for every paragraph of the document to be styled and read."""
    word_member_names(content, _SAVE_AS_HINT)
    try:
        # python-docx reads parts lazily, so malformed XML can surface while walking the body too.
        yield from _word_blocks(docx.Document(io.BytesIO(content)))
    except Exception:  # noqa: BLE001 - python-docx fails in many ways on a malformed document
        raise _file_error(
            "the Word document cannot be read; open it in Word and save it again as .docx"
        ) from None


def _word_blocks(document: WordDocument) -> Iterator[Block]:
    """Top-level paragraphs and tables in document order. Consecutive list items become one block
    of "- item" lines, a table one block of "cell | cell" rows; headers, footers, footnotes and
    text boxes are left out."""
    list_items: list[str] = []
    for item in document.iter_inner_content():
        text = _table_text(item) if isinstance(item, Table) else item.text.strip()
        level = _word_heading_level(item) if isinstance(item, Paragraph) else None
        if text and level is None and isinstance(item, Paragraph) and _is_list_item(item):
            list_items.append(f"- {text}")
            continue
        if list_items:
            yield "\n".join(list_items)
            list_items = []
        if level is not None and (heading := _heading_text(text)):
            yield Heading(level, heading)
        elif text:
            yield text
    if list_items:
        yield "\n".join(list_items)


def _word_heading_level(paragraph: Paragraph) -> int | None:
    """Word's "Heading 1".."Heading 9" styles, styles based on them, or an outline level set on the
    paragraph or its style (how Word's navigation pane finds headings in custom templates)."""
    outline = _outline_level(paragraph._p)
    style = paragraph.style
    while outline is None and style is not None:
        named = _WORD_HEADING_STYLE.fullmatch(style.name or "")
        if named:
            return int(named.group(1))
        outline = _outline_level(style.element)
        style = style.base_style
    return outline + 1 if outline is not None and outline < _WORD_BODY_OUTLINE_LEVEL else None


def _outline_level(element: BaseOxmlElement) -> int | None:
    values = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    return int(values[0]) if values and str(values[0]).isdigit() else None


def _is_list_item(paragraph: Paragraph) -> bool:
    style_name = paragraph.style.name if paragraph.style is not None else ""
    return bool(paragraph._p.xpath("./w:pPr/w:numPr")) or (style_name or "").lower().startswith("list")


def _table_text(table: Table) -> str:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is listed once per grid column it spans
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
