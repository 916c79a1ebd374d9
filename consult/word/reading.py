"""Reading a Word file returned on a draft: its headings, the Word comments (with their replies and
the text they are anchored on) and the tracked changes, in document order. Pure functions over the
WordprocessingML parts, no database; ``consult.word.importing`` places what is found in the draft.

Text is read as the draft had it: tracked insertions left out, tracked deletions kept (changes
rejected), so the headings and the passages a comment is anchored on compare with the draft's own
text. Word and LibreOffice write the same markup for all of this; replies are linked through
``commentsExtended.xml`` (``w15:paraIdParent``), which both write.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from posixpath import dirname, join, normpath

from lxml import etree

from consult.errors import FieldError, Invalid, PayloadTooLarge
from consult.uploads import word_member_names

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_COMMENTS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
_COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
_STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"

_ZIP_SIGNATURE = b"PK\x03\x04"
# Compound File Binary: Word 97-2003 files, and any .docx saved with a password (Office encrypts
# the package and wraps it in this container).
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "password-protected or an old Word 97-2003 document"
_SAVE_AS_HINT = "send the draft back as a Word document (.docx) with your comments and tracked changes"

_HEADING_STYLE = re.compile(r"heading ([1-9])", re.IGNORECASE)
_BODY_OUTLINE_LEVEL = 9  # Word's outline level for body text; 0-8 are heading levels 1-9
# Parts of a paragraph whose text is not the paragraph's: text boxes (and the copy of a drawing
# kept for older readers) would be read twice or out of place.
_SKIPPED = {f"{{{W}}}txbxContent", f"{{{_MC}}}Fallback", f"{{{W}}}instrText"}
_INSERTED = {f"{{{W}}}ins", f"{{{W}}}moveTo"}
_DELETED = {f"{{{W}}}del", f"{{{W}}}moveFrom"}
_TEXT = {f"{{{W}}}t", f"{{{W}}}delText"}
_TAB = f"{{{W}}}tab"
_BREAKS = {f"{{{W}}}br", f"{{{W}}}cr"}
_RANGE_START = f"{{{W}}}commentRangeStart"
_RANGE_END = f"{{{W}}}commentRangeEnd"
_REFERENCE = f"{{{W}}}commentReference"
_PARAGRAPH = f"{{{W}}}p"
_BODY = f"{{{W}}}body"
_AUTHOR = f"{{{W}}}author"
_ID = f"{{{W}}}id"
_VAL = f"{{{W}}}val"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


@dataclass
class Segment:
    """A run of a paragraph's text: unchanged (``orig``), deleted or inserted by a tracked change."""

    kind: str  # "orig", "del", "ins"
    text: str
    author: str | None = None


@dataclass
class Paragraph:
    heading_level: int | None
    segments: list[Segment] = field(default_factory=list)

    @property
    def original(self) -> str:
        """The text as it was before the tracked changes (the draft's text)."""
        return "".join(s.text for s in self.segments if s.kind != "ins")

    @property
    def changed(self) -> bool:
        return any(s.kind != "orig" and s.text for s in self.segments)


@dataclass(frozen=True)
class Place:
    paragraph: int
    offset: int  # in the paragraph's original text
    segment: int = 0  # the paragraph's segments before it: a tracked change is inside a range or not


@dataclass
class WordComment:
    comment_id: str
    author: str
    lines: list[str]  # its paragraphs, as Word keeps a comment's lines
    para_id: str | None  # of its last paragraph: what commentsExtended refers to
    parent: str | None = None  # the comment_id of the comment it answers
    start: Place | None = None
    end: Place | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


@dataclass
class WordFeedback:
    paragraphs: list[Paragraph]
    comments: list[WordComment]  # in the order of comments.xml (Word's: by position)

    def anchored_text(self, comment: WordComment) -> str:
        """The text the comment is anchored on, as the draft had it; paragraphs joined by a blank
        line as the draft's sections join them."""
        if comment.start is None:
            return ""
        end = comment.end or comment.start
        if (end.paragraph, end.offset) < (comment.start.paragraph, comment.start.offset):
            return ""
        parts: list[str] = []
        for index in range(comment.start.paragraph, end.paragraph + 1):
            text = self.paragraphs[index].original
            first = comment.start.offset if index == comment.start.paragraph else 0
            last = end.offset if index == end.paragraph else len(text)
            parts.append(text[first:last])
        return "\n\n".join(parts).strip()


def _refuse(reason: str) -> Invalid:
    return Invalid.field("file", reason)


def read_feedback(content: bytes, *, max_bytes: int) -> WordFeedback:
    """Parse a returned .docx, or refuse it with a problem naming the field ``file`` and why."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"the file has {len(content):,} bytes; Word files are limited to {max_bytes:,} bytes",
            errors=[FieldError("file", f"larger than {max_bytes:,} bytes")],
        )
    if not content.strip():
        raise _refuse("the file is empty")
    if content.startswith(_OLE2_SIGNATURE):
        raise _refuse(
            f"the file is {ENCRYPTED} (.doc), which cannot be read; "
            "remove the password (File > Info > Protect Document) or save it as "
            "'Word Document (.docx)', and send it again"
        )
    if not content.startswith(_ZIP_SIGNATURE):
        raise _refuse(f"the file is not a Word document; {_SAVE_AS_HINT}")
    names = word_member_names(content, _SAVE_AS_HINT)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _read(archive, names)
    except (
        etree.XMLSyntaxError,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        KeyError,
        ValueError,
        RuntimeError,
        NotImplementedError,
        OSError,
    ):
        # A damaged part, a member whose data fails its check or does not inflate, an encrypted zip
        # member, a compression method zipfile does not know.
        raise _refuse(
            "the Word document cannot be read; open it in Word and save it again as .docx"
        ) from None


def _xml(archive: zipfile.ZipFile, name: str | None, names: set[str]) -> etree._Element | None:
    if name is None or name not in names:
        return None
    return etree.fromstring(archive.read(name), _PARSER)


def _related_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """The document's parts by relationship type; the usual names when the relationships say nothing."""
    found = {
        _COMMENTS_REL: "word/comments.xml",
        _COMMENTS_EXTENDED_REL: "word/commentsExtended.xml",
        _STYLES_REL: "word/styles.xml",
    }
    rels = _xml(archive, "word/_rels/document.xml.rels", names)
    if rels is not None:
        for rel in rels.iter(f"{{{_REL}}}Relationship"):
            kind, target = rel.get("Type"), rel.get("Target") or ""
            if kind in found and rel.get("TargetMode") != "External":
                path = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else normpath(join(dirname("word/x"), target))
                )
                found[kind] = path
    return found


def _read(archive: zipfile.ZipFile, names: set[str]) -> WordFeedback:
    parts = _related_parts(archive, names)
    document = _xml(archive, "word/document.xml", names)
    body = document.find(f"{{{W}}}body") if document is not None else None
    if body is None:
        raise _refuse("the Word document has no body; open it in Word and save it again as .docx")
    levels = _StyleLevels(_xml(archive, parts[_STYLES_REL], names))
    comments = _read_comments(_xml(archive, parts[_COMMENTS_REL], names))
    extended = _xml(archive, parts[_COMMENTS_EXTENDED_REL], names)
    by_id = {comment.comment_id: comment for comment in comments}
    paragraphs: list[Paragraph] = []
    for element in _paragraphs(body):
        heading = levels.level(element) if element.getparent() is body else None
        paragraphs.append(_read_paragraph(element, heading, len(paragraphs), by_id))
    if extended is not None:
        _link_replies(comments, extended)
    else:
        _link_same_range(comments)
    return WordFeedback(paragraphs=paragraphs, comments=comments)


def _paragraphs(body: etree._Element) -> Iterator[etree._Element]:
    """The body's paragraphs in document order, those of tables (and lists) included, text boxes not."""
    stack = [iter(body)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str) or child.tag in _SKIPPED:
            continue
        if child.tag == _PARAGRAPH:
            yield child
        else:
            stack.append(iter(child))


def _read_paragraph(
    element: etree._Element, heading: int | None, index: int, comments: dict[str, WordComment]
) -> Paragraph:
    paragraph = Paragraph(heading_level=heading)
    offset = 0  # in the original text
    marked = False  # a comment's range starts or ends here: the next text starts a segment

    def add(kind: str, text: str, author: str | None) -> None:
        nonlocal offset, marked
        last = paragraph.segments[-1] if paragraph.segments and not marked else None
        marked = False
        if last is not None and last.kind == kind and (kind == "orig" or last.author == author):
            last.text += text
        else:
            paragraph.segments.append(Segment(kind, text, author))
        if kind != "ins":
            offset += len(text)

    # Walk in document order, remembering the tracked change (if any) each run sits in.
    stack: list[tuple[Iterator[etree._Element], str | None, str | None]] = [(iter(element), None, None)]
    while stack:
        children, change, author = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED or tag == _PARAGRAPH:
            continue
        if tag in _TEXT or tag == _TAB or tag in _BREAKS:
            text = (child.text or "") if tag in _TEXT else ("\t" if tag == _TAB else "\n")
            if change == "both":  # inserted, then deleted: in neither text
                continue
            add(change or "orig", text, author)
        elif tag in (_RANGE_START, _RANGE_END, _REFERENCE):
            comment = comments.get(child.get(_ID) or "")
            if comment is not None:
                here = Place(index, offset, len(paragraph.segments))
                marked = True
                if tag == _RANGE_START and comment.start is None:
                    comment.start = here
                elif tag == _RANGE_END:
                    comment.end = here
                elif comment.start is None:  # a comment on a point: Word writes only the reference
                    comment.start = here
        else:
            inner, inner_author = change, author
            if tag in _INSERTED or tag in _DELETED:
                kind = "ins" if tag in _INSERTED else "del"
                inner = kind if change is None or change == kind else "both"
                inner_author = child.get(_AUTHOR) or author
            if tag == f"{{{W}}}pPr":  # paragraph properties: a changed paragraph mark, no text
                continue
            stack.append((iter(child), inner, inner_author))
    return paragraph


class _StyleLevels:
    """Heading levels as the draft reader finds them: "Heading 1".."Heading 9" styles, styles based
    on them, or an outline level on the paragraph or its styles."""

    def __init__(self, styles: etree._Element | None) -> None:
        self.styles: dict[str, tuple[str, str | None, int | None]] = {}
        self.default: str | None = None
        if styles is None:
            return
        for style in styles.iter(f"{{{W}}}style"):
            if style.get(f"{{{W}}}type") not in (None, "paragraph"):
                continue
            style_id = style.get(f"{{{W}}}styleId") or ""
            name = style.find(f"{{{W}}}name")
            based = style.find(f"{{{W}}}basedOn")
            self.styles[style_id] = (
                name.get(_VAL) or "" if name is not None else "",
                based.get(_VAL) if based is not None else None,
                _outline(style),
            )
            if style.get(f"{{{W}}}default") in ("1", "true", "on"):
                self.default = style_id
        self._cache: dict[str | None, int | None] = {}

    def level(self, paragraph: etree._Element) -> int | None:
        outline = _outline(paragraph)
        if outline is not None:
            return outline + 1 if outline < _BODY_OUTLINE_LEVEL else None
        style = paragraph.find(f"{{{W}}}pPr/{{{W}}}pStyle")
        style_id = style.get(_VAL) if style is not None else self.default
        if style_id not in self._cache:
            self._cache[style_id] = self._style_level(style_id)
        return self._cache[style_id]

    def _style_level(self, style_id: str | None) -> int | None:
        seen: set[str] = set()
        while style_id is not None and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            name, based, outline = self.styles[style_id]
            named = _HEADING_STYLE.fullmatch(name)
            if named:
                return int(named.group(1))
            if outline is not None:
                return outline + 1 if outline < _BODY_OUTLINE_LEVEL else None
            style_id = based
        return None


def _outline(element: etree._Element) -> int | None:
    found = element.find(f"{{{W}}}pPr/{{{W}}}outlineLvl")
    value = found.get(_VAL) if found is not None else None
    return int(value) if value is not None and value.isdigit() else None


def _read_comments(part: etree._Element | None) -> list[WordComment]:
    if part is None:
        return []
    comments: list[WordComment] = []
    for element in part.iter(f"{{{W}}}comment"):
        paragraphs = element.findall(f".//{{{W}}}p")
        texts = [_plain_text(p) for p in paragraphs]
        para_id = paragraphs[-1].get(f"{{{W14}}}paraId") if paragraphs else None
        comments.append(
            WordComment(
                comment_id=element.get(_ID) or "",
                author=" ".join((element.get(_AUTHOR) or "").split()),
                lines=texts,
                para_id=para_id.upper() if para_id else None,
            )
        )
    return comments


def _plain_text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter(f"{{{W}}}t", _TAB, *_BREAKS):
        parts.append(node.text or "" if node.tag == f"{{{W}}}t" else ("\t" if node.tag == _TAB else "\n"))
    return "".join(parts)


def _link_replies(comments: list[WordComment], extended: etree._Element) -> None:
    by_para = {comment.para_id: comment for comment in comments if comment.para_id}
    for entry in extended.iter(f"{{{W15}}}commentEx"):
        para_id = (entry.get(f"{{{W15}}}paraId") or "").upper()
        parent_para = (entry.get(f"{{{W15}}}paraIdParent") or "").upper()
        comment, parent = by_para.get(para_id), by_para.get(parent_para)
        if comment is not None and parent is not None and parent is not comment:
            comment.parent = parent.comment_id


def _link_same_range(comments: list[WordComment]) -> None:
    """Without ``commentsExtended.xml`` (LibreOffice 7.4 and older write none) a reply is a comment
    on exactly the range of one before it in ``comments.xml``, where the thread's comments follow
    each other: it answers the first comment of that range."""
    first: dict[tuple[Place, Place | None], WordComment] = {}
    for comment in comments:
        if comment.start is None:
            continue
        where = (comment.start, comment.end)
        if where in first:
            comment.parent = first[where].comment_id
        else:
            first[where] = comment
