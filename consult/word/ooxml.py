"""WordprocessingML pieces written as text: runs, comments, tracked changes, threaded replies, and
the extra package parts python-docx has no API for (``commentsExtended``, custom properties).

Generic on purpose (no consult types): the annotated draft writes with it, the Word import reads
the same names. Markup is built as strings and parsed once per part: python-docx's
``add_comment`` scans every existing comment for a free id, which turns thousands of comments
into minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from docx.document import Document as WordDocument
from docx.opc.packuri import PackURI
from docx.opc.part import Part

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NSMAP = {"w": W, "w14": W14, "w15": W15}
NAMESPACES = f'xmlns:w="{W}" xmlns:w14="{W14}" xmlns:w15="{W15}" xmlns:mc="{MC}" mc:Ignorable="w14 w15"'

COMMENTS_EXTENDED_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
COMMENTS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
CUSTOM_PROPERTIES_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)

# Characters XML 1.0 cannot hold become U+FFFD, one for one: offsets into the text stay valid.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", text)


def text_content(text: str) -> str:
    return escape(clean(text))


def attribute(text: str) -> str:
    """A quoted attribute value."""
    return quoteattr(clean(text))


def word_date(moment: dt.datetime) -> str:
    """``w:date`` as Word writes it: UTC, to the second, with a ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word[:1].isalpha())[:4].upper()


class Ids:
    """Counters for ``w:id`` (comments and revisions share one sequence, so every id is unique)
    and ``w14:paraId`` (8 hex digits below 0x80000000, unique in the document)."""

    def __init__(self) -> None:
        self._id = 0
        self._para = 0x10000000

    def next_id(self) -> int:
        self._id += 1
        return self._id

    def next_para_id(self) -> str:
        self._para += 1
        return f"{self._para:08X}"


def run(text: str, *, rpr: str = "") -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text_content(text)}</w:t></w:r>'


def deleted_run(text: str) -> str:
    return f'<w:r><w:delText xml:space="preserve">{text_content(text)}</w:delText></w:r>'


@dataclass(frozen=True)
class Revision:
    """Who made a tracked change, and when. A change cut in pieces (a deletion across paragraphs,
    the insertion after it) is several elements, each with an id of its own."""

    ids: Ids
    author: str
    date: dt.datetime | None

    def attributes(self) -> str:
        when = f' w:date="{word_date(self.date)}"' if self.date else ""
        return f'w:id="{self.ids.next_id()}" w:author={attribute(self.author)}{when}'


def deletion(revision: Revision, text: str) -> str:
    return f"<w:del {revision.attributes()}>{deleted_run(text)}</w:del>"


def insertion(revision: Revision, text: str) -> str:
    return f"<w:ins {revision.attributes()}>{run(text)}</w:ins>"


def range_start(comment_id: int) -> str:
    return f'<w:commentRangeStart w:id="{comment_id}"/>'


def range_end(comment_id: int) -> str:
    """The end of a comment's range, and the reference that shows the comment mark there."""
    return f'<w:commentRangeEnd w:id="{comment_id}"/><w:r><w:commentReference w:id="{comment_id}"/></w:r>'


def paragraph(content: str, *, style: str | None = None, mark: str = "", para_id: str | None = None) -> str:
    """``mark``: run properties of the paragraph mark (a tracked insertion or deletion of it)."""
    ppr = ""
    if style or mark:
        ppr = "<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "")
        ppr += f"<w:rPr>{mark}</w:rPr>" if mark else ""
        ppr += "</w:pPr>"
    pid = f' w14:paraId="{para_id}" w14:textId="77777777"' if para_id else ""
    return f"<w:p{pid}>{ppr}{content}</w:p>"


@dataclass(frozen=True)
class WordComment:
    """One ``w:comment``; ``parent`` is the id of the comment it replies to (a Word thread)."""

    id: int
    author: str
    date: dt.datetime | None
    paragraphs: Sequence[str]  # plain text, one per paragraph; the first may be a header line
    parent: int | None = None
    header_rpr: str = "<w:rPr><w:i/></w:rPr>"  # the first paragraph in italics


def comment_xml(comment: WordComment, para_ids: Sequence[str]) -> str:
    when = f' w:date="{word_date(comment.date)}"' if comment.date else ""
    body = []
    for index, (text, para_id) in enumerate(zip(comment.paragraphs, para_ids, strict=True)):
        content = run(text, rpr=comment.header_rpr if index == 0 else "")
        if index == 0:  # Word puts the comment mark at the start of the first paragraph
            content = "<w:r><w:annotationRef/></w:r>" + content
        body.append(paragraph(content, para_id=para_id))
    who = attribute(comment.author)
    short = attribute(initials(comment.author))
    return (
        f'<w:comment w:id="{comment.id}" w:author={who}{when} w:initials={short}>{"".join(body)}</w:comment>'
    )


def comment_parts(comments: Iterable[WordComment], ids: Ids) -> tuple[bytes, bytes]:
    """``word/comments.xml`` and ``word/commentsExtended.xml``: each reply's last paragraph points
    at its parent's last paragraph (``w15:paraIdParent``), which is how Word threads replies."""
    last_para: dict[int, str] = {}
    comments_xml: list[str] = []
    extended: list[str] = []
    for comment in comments:
        para_ids = [ids.next_para_id() for _ in comment.paragraphs]
        last_para[comment.id] = para_ids[-1]
        comments_xml.append(comment_xml(comment, para_ids))
        parent = last_para.get(comment.parent) if comment.parent is not None else None
        link = f' w15:paraIdParent="{parent}"' if parent else ""
        extended.append(f'<w15:commentEx w15:paraId="{para_ids[-1]}"{link} w15:done="0"/>')
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (
        f"{head}<w:comments {NAMESPACES}>{''.join(comments_xml)}</w:comments>".encode(),
        f"{head}<w15:commentsEx {NAMESPACES}>{''.join(extended)}</w15:commentsEx>".encode(),
    )


def add_part(document: WordDocument, name: str, content_type: str, reltype: str, blob: bytes) -> None:
    """A part of the main document (``/word/...``) that python-docx writes as it is."""
    part = Part(PackURI(name), content_type, blob, document.part.package)
    document.part.relate_to(part, reltype)


def custom_properties(values: dict[str, str]) -> bytes:
    """``docProps/custom.xml``: document properties Word and LibreOffice keep (File > Properties)."""
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    props = "".join(
        f'<property fmtid="{fmtid}" pid="{pid}" name={attribute(name)}><vt:lpwstr>{text_content(value)}'
        "</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(values.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{props}</Properties>"
    ).encode()


def add_custom_properties(document: WordDocument, values: dict[str, str]) -> None:
    package = document.part.package
    assert package is not None
    part = Part(PackURI("/docProps/custom.xml"), CUSTOM_PROPERTIES_TYPE, custom_properties(values), package)
    package.relate_to(part, CUSTOM_PROPERTIES_REL)
