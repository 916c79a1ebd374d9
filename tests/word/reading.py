"""Reading an annotated draft back the way Word would: python-docx for the comments, and a walk of
the body for what each comment's range covers and the tracked changes."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
SOFFICE = shutil.which("soffice")


def w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass
class Note:
    id: int
    author: str
    initials: str | None
    text: str
    paragraphs: list[str]
    date: str | None
    anchored: str = ""  # the original text inside the range (deleted text included, insertions not)
    inserted: str = ""  # tracked insertions inside the range
    parent: int | None = None  # the comment it replies to (commentsExtended)
    heading: str | None = None  # the heading before the range


@dataclass
class Change:
    kind: str  # "ins" or "del"
    author: str
    date: str | None
    text: str
    id: str


@dataclass
class Annotated:
    notes: dict[int, Note]
    changes: list[Change]
    headings: list[tuple[str, str]]  # (style id, text)
    paragraphs: list[tuple[str | None, str]]  # (style id, text without tracked changes)
    accepted: list[str]  # each paragraph's text with every tracked change accepted
    properties: dict[str, str] = field(default_factory=dict)

    def by_header(self, prefix: str) -> Note:
        (found,) = [n for n in self.notes.values() if n.paragraphs[0].startswith(prefix)]
        return found

    def with_text(self, text: str) -> list[Note]:
        return [n for n in self.notes.values() if text in n.paragraphs[1:]]


def read(content: bytes) -> Annotated:
    document = Document(io.BytesIO(content))
    notes = {
        c.comment_id: Note(
            id=c.comment_id,
            author=c.author,
            initials=c.initials,
            text=c.text,
            paragraphs=[p.text for p in c.paragraphs],
            date=c._comment_elm.get(w("date")),
        )
        for c in document.comments
    }
    # Word threads replies through the last paragraph of each comment.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        comments_xml = etree.fromstring(archive.read("word/comments.xml")) if notes else None
        extended = (
            etree.fromstring(archive.read("word/commentsExtended.xml"))
            if "word/commentsExtended.xml" in names
            else None
        )
        custom = (
            etree.fromstring(archive.read("docProps/custom.xml")) if "docProps/custom.xml" in names else None
        )
    if comments_xml is not None and extended is not None:
        last_para = {
            c.xpath("./w:p[last()]/@w14:paraId", namespaces={"w": W, "w14": W14})[0]: int(c.get(w("id")))
            for c in comments_xml.iter(w("comment"))
        }
        for entry in extended.iter(f"{{{W15}}}commentEx"):
            parent = entry.get(f"{{{W15}}}paraIdParent")
            if parent:
                notes[last_para[entry.get(f"{{{W15}}}paraId")]].parent = last_para[parent]
    properties = {}
    if custom is not None:
        for prop in custom:
            properties[prop.get("name")] = "".join(prop.itertext())

    body = document.element.body
    open_ranges: set[int] = set()
    changes: list[Change] = []
    headings: list[tuple[str, str]] = []
    paragraphs: list[tuple[str | None, str]] = []
    accepted_paragraphs: list[str] = []
    heading: str | None = None
    for paragraph in body.iter(w("p")):
        style = paragraph.xpath("string(./w:pPr/w:pStyle/@w:val)") or None
        shown = []
        accepted = []
        for element in paragraph.iter():
            tag = element.tag
            if tag == w("commentRangeStart"):
                note = notes[int(element.get(w("id")))]
                note.heading = heading
                open_ranges.add(note.id)
            elif tag == w("commentRangeEnd"):
                open_ranges.discard(int(element.get(w("id"))))
            elif tag in (w("ins"), w("del")) and element.getparent().tag != w("rPr"):
                text = "".join(t.text or "" for t in element.iter(w("t"), w("delText")))
                changes.append(
                    Change(
                        tag.split("}")[1],
                        element.get(w("author")),
                        element.get(w("date")),
                        text,
                        element.get(w("id")),
                    )
                )
            elif tag in (w("t"), w("delText")):
                inserted = any(a.tag == w("ins") for a in element.iterancestors())
                for comment_id in open_ranges:
                    if inserted:
                        notes[comment_id].inserted += element.text or ""
                    else:
                        notes[comment_id].anchored += element.text or ""
                if tag == w("t"):
                    accepted.append(element.text or "")
                if not inserted:  # the draft as it was: deleted text in, inserted text out
                    shown.append(element.text or "")
        for comment_id in open_ranges:
            notes[comment_id].anchored += "\n"
        text = "".join(shown)
        paragraphs.append((style, text))
        accepted_paragraphs.append("".join(accepted))
        if style and style.startswith("Heading"):
            heading = text
            headings.append((style, text))
    return Annotated(notes, changes, headings, paragraphs, accepted_paragraphs, properties)


def convert(source: Path, target: str, folder: Path) -> Path:
    """LibreOffice converts ``source`` (``target``: "pdf", "odt", ...); the converted file."""
    assert SOFFICE is not None
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{folder / 'profile'}",  # its own profile: parallel-safe
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        timeout=600,
        check=False,
    )
    converted = folder / f"{source.stem}.{target.split(':')[0]}"
    assert result.returncode == 0 and converted.exists(), result.stderr.decode(errors="replace")
    return converted
