# ruff: noqa: RUF001
"""Word files as a ministry sends them back: the draft with margin comments (and replies), tracked
insertions and deletions, in body text, lists and tables, in English, Russian and Azerbaijani.

They are built with python-docx plus the raw WordprocessingML Word itself writes for what
python-docx does not (``w:ins``/``w:del`` with author and date, comment ranges, ``comments.xml``
with ``w14:paraId``, ``commentsExtended.xml`` linking replies), and kept as files in
fixtures/import/ (``python -m tests.word.import_docs`` writes them again): ``strategy_word.docx``
as Word writes it, ``strategy_libreoffice.docx`` the same file opened and saved again by LibreOffice,
``strategy_writer.docx`` made by LibreOffice from a Writer document (``strategy_libreoffice.fodt``). ``draft()`` is the same
document without any of it: the draft version the round is on.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.parser import parse_xml

FIXTURES = Path(__file__).parent / "fixtures" / "import"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
NSDECLS = f'xmlns:w="{W_NS}" xmlns:w14="{W14_NS}" xmlns:w15="{W15_NS}"'
DATE = "2026-11-20T10:15:00Z"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
COMMENTS_EX_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
COMMENTS_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
COMMENTS_EX_RT = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"


@dataclass(frozen=True)
class Ins:
    text: str
    author: str = "Rauf Məmmədov"


@dataclass(frozen=True)
class Del:
    text: str
    author: str = "Rauf Məmmədov"


@dataclass(frozen=True)
class On:
    """Text a Word comment is anchored on; ``split`` cuts it into two runs as Word often does."""

    text: str
    comment: str  # the Note's name
    split: bool = False


@dataclass(frozen=True)
class Note:
    name: str
    author: str
    text: str
    parent: str | None = None  # the name of the note it answers


@dataclass(frozen=True)
class Around:
    """A Word comment around other pieces: tracked changes the comment explains."""

    comment: str
    pieces: tuple[str | Ins | Del, ...]


Piece = str | Ins | Del | On | Around


@dataclass
class WordFile:
    """A document built block by block; ``returned()`` has the comments and tracked changes,
    ``draft()`` the text they were made on."""

    blocks: list[tuple[str, object]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def title(self, *pieces: Piece) -> WordFile:
        self.blocks.append(("Title", pieces))
        return self

    def heading(self, level: int, *pieces: Piece) -> WordFile:
        self.blocks.append((f"Heading {level}", pieces))
        return self

    def para(self, *pieces: Piece) -> WordFile:
        self.blocks.append(("Normal", pieces))
        return self

    def item(self, *pieces: Piece) -> WordFile:
        self.blocks.append(("List Bullet", pieces))
        return self

    def table(self, *rows: tuple[tuple[Piece, ...], ...]) -> WordFile:
        self.blocks.append(("table", rows))
        return self

    def note(self, name: str, author: str, text: str, parent: str | None = None) -> WordFile:
        self.notes.append(Note(name, author, text, parent))
        return self

    def draft(self) -> bytes:
        return self._build(marked=False)

    def returned(self) -> bytes:
        return self._build(marked=True)

    def _build(self, *, marked: bool) -> bytes:
        document = docx.Document()
        ids = {note.name: str(number) for number, note in enumerate(self.notes)}
        changes = iter(range(1000, 100_000))
        replies: dict[str, list[str]] = {}
        for note in self.notes:
            if note.parent:
                replies.setdefault(note.parent, []).append(note.name)
        for style, content in self.blocks:
            if style == "table":
                rows: tuple[tuple[tuple[Piece, ...], ...], ...] = content  # type: ignore[assignment]
                table = document.add_table(rows=len(rows), cols=len(rows[0]))
                for row, cells in zip(table.rows, rows, strict=True):
                    for cell, pieces in zip(row.cells, cells, strict=True):
                        _fill(cell.paragraphs[0]._p, pieces, marked, ids, replies, changes)
                continue
            paragraph = document.add_paragraph(style=style)
            _fill(paragraph._p, content, marked, ids, replies, changes)  # type: ignore[arg-type]
        if marked and self.notes:
            _add_comment_parts(document, self.notes, ids)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def _run(text: str, tag: str = "t") -> str:
    return f'<w:r><w:{tag} xml:space="preserve">{escape(text)}</w:{tag}></w:r>'


def _fill(
    p, pieces: tuple[Piece, ...], marked: bool, ids: dict[str, str], replies: dict[str, list[str]], changes
) -> None:
    xml = _pieces(pieces, marked, ids, replies, changes)
    for element in parse_xml(f"<w:p {NSDECLS}>{''.join(xml)}</w:p>"):
        p.append(element)


def _pieces(pieces, marked: bool, ids: dict[str, str], replies: dict[str, list[str]], changes) -> list[str]:
    xml: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            xml.append(_run(piece))
        elif isinstance(piece, Ins):
            if marked:
                xml.append(
                    f'<w:ins w:id="{next(changes)}" w:author={quoteattr(piece.author)} w:date="{DATE}">'
                    f"{_run(piece.text)}</w:ins>"
                )
        elif isinstance(piece, Del):
            if marked:
                xml.append(
                    f'<w:del w:id="{next(changes)}" w:author={quoteattr(piece.author)} w:date="{DATE}">'
                    f"{_run(piece.text, 'delText')}</w:del>"
                )
            else:
                xml.append(_run(piece.text))
        else:
            if isinstance(piece, Around):
                inner = _pieces(piece.pieces, marked, ids, replies, changes)
            else:
                runs = [piece.text]
                if piece.split:
                    half = len(piece.text) // 2
                    runs = [piece.text[:half], piece.text[half:]]
                inner = [_run(r) for r in runs]
            if not marked:
                xml.extend(inner)
                continue
            # Word anchors a reply on the range of the comment it answers, repeating the markers.
            cids = [ids[piece.comment], *(ids[name] for name in replies.get(piece.comment, []))]
            xml.extend(f'<w:commentRangeStart w:id="{cid}"/>' for cid in cids)
            xml.extend(inner)
            for cid in cids:
                xml.append(f'<w:commentRangeEnd w:id="{cid}"/>')
                xml.append(
                    f'<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:commentReference w:id="{cid}"/></w:r>'
                )
    return xml


def _para_id(number: int) -> str:
    return f"{0x1A2B0000 + number:08X}"


def _add_comment_parts(document, notes: list[Note], ids: dict[str, str]) -> None:
    """``comments.xml`` and ``commentsExtended.xml`` as Word writes them."""
    comments = []
    extended = []
    para_ids = {note.name: _para_id(n) for n, note in enumerate(notes)}
    for note in notes:
        paragraphs = note.text.split("\n")
        body = []
        for index, text in enumerate(paragraphs):
            last = index == len(paragraphs) - 1
            para_id = (
                para_ids[note.name] if last else f"{0x3C000000 + len(body) + int(ids[note.name]) * 16:08X}"
            )
            ref = (
                '<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:annotationRef/></w:r>'
                if index == 0
                else ""
            )
            body.append(
                f'<w:p w14:paraId="{para_id}" w14:textId="77777777"><w:pPr><w:pStyle w:val="CommentText"/></w:pPr>'
                f"{ref}{_run(text)}</w:p>"
            )
        initials = "".join(word[0] for word in note.author.split())
        comments.append(
            f'<w:comment w:id="{ids[note.name]}" w:author={quoteattr(note.author)} w:date="{DATE}" '
            f"w:initials={quoteattr(initials)}>{''.join(body)}</w:comment>"
        )
        parent = f' w15:paraIdParent="{para_ids[note.parent]}"' if note.parent else ""
        extended.append(f'<w15:commentEx w15:paraId="{para_ids[note.name]}"{parent} w15:done="0"/>')
    package = document.part.package
    comments_part = Part(
        PackURI("/word/comments.xml"),
        COMMENTS_CT,
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments {NSDECLS}>{"".join(comments)}</w:comments>'.encode(),
        package,
    )
    extended_part = Part(
        PackURI("/word/commentsExtended.xml"),
        COMMENTS_EX_CT,
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w15:commentsEx {NSDECLS}>{"".join(extended)}</w15:commentsEx>'.encode(),
        package,
    )
    document.part.relate_to(comments_part, COMMENTS_RT)
    document.part.relate_to(extended_part, COMMENTS_EX_RT)


def strategy() -> WordFile:
    """A short draft in three languages, returned with eight comments (one a reply, one on the
    title, one on a heading) and tracked changes in three paragraphs."""
    return (
        WordFile()
        .title(On("Integration strategy 2026–2030", "on-title"))
        .para("Draft for consultation. Institutions are invited to comment section by section.")
        .heading(1, "1. Access to employment")
        .para(
            "The ministry sets up one procedure with a maximum duration of ",
            Del("60"),
            Ins("30"),
            " days for the ",
            On("recognition of foreign diplomas", "c-diplomas", split=True),
            ".",
        )
        .heading(2, On("1.1 Recognition of qualifications", "c-heading"))
        .para("The desk:")
        .item("explains the recognition procedure;")
        .item(On("refers migrants to vacancies", "c-list"), " and vocational training;")
        .item("works in Azerbaijani, Russian and English.")
        .heading(2, "1.2 Language courses")
        .table(
            (("Course",), ("Hours",)),
            ((On("Azerbaijani for adults", "c-table"),), ("120",)),
        )
        .heading(1, "2. Миграционная политика")
        .para(
            "Государственная миграционная служба ",
            On("публикует руководство для работодателей", "c-russian"),
            Del(" ежегодно"),
            ".",
        )
        .heading(1, "3. Miqrantların inteqrasiyası")
        .para(
            "Dövlət Miqrasiya Xidməti ",
            On("Bakı şəhərində", "c-azerbaijani", split=True),
            Ins(" və Gəncədə"),
            " informasiya mərkəzi açır.",
        )
        .note("on-title", "Gülnarə Şükürova", "The ministry supports the strategy as a whole.")
        .note("c-diplomas", "Rauf Məmmədov", "Which diplomas: higher education only, or vocational too?")
        .note("c-reply", "Ирина Петрова", "Vocational diplomas too, please.", parent="c-diplomas")
        .note("c-heading", "Rauf Məmmədov", "This objective needs a budget line.")
        .note("c-list", "Rauf Məmmədov", "Also to apprenticeships.\nSee the Labour Code, article 12.")
        .note("c-table", "Rauf Məmmədov", "120 hours are too few for beginners.")
        .note("c-russian", "Ирина Петрова", "Руководство должно выходить на трёх языках.")
        .note("c-azerbaijani", "Gülnarə Şükürova", "Sumqayıt da əlavə edilməlidir.")
    )


def retitled() -> tuple[WordFile, WordFile]:
    """The draft, and the file returned on it after someone retitled it, renamed section 1.2 (its
    number kept), edited a sentence without tracking it, and added a section of their own."""
    draft = (
        WordFile()
        .title("Integration strategy 2026–2030")
        .heading(1, "1. Access to employment")
        .para("The ministry sets up one procedure for the recognition of foreign diplomas.")
        .heading(2, "1.2 Language courses")
        .para("Courses are free for refugees.")
    )
    returned = (
        WordFile()
        .title("Integration strategy 2026–2030 – comments of the Ministry of Labour")
        .heading(1, "1. Access to employment")
        .para(
            "The ministry sets up ",
            On("a single procedure", "c-edited"),
            " for the recognition of foreign diplomas.",
        )
        .heading(2, "1.2 Language and civic courses")
        .para(On("Courses are free for refugees", "c-renamed"), ".")
        .heading(1, "4. Our proposals")
        .para(On("A helpline for migrant workers", "c-new"), Ins(" open every day"), ".")
        .note("c-edited", "Ministry of Labour", "One procedure for all diplomas.")
        .note("c-renamed", "Ministry of Labour", "And for returnees.")
        .note("c-new", "Ministry of Labour", "We propose a helpline.")
    )
    return draft, returned


def commented_changes() -> WordFile:
    """Comments on tracked changes, as a Word user writes the reason for a change and as consult's
    own annotated export writes amendments (a header line, the passage deleted and the proposal
    inserted inside the comment's range, the facilitators' answer as a reply, an amendment without a
    passage as an inserted paragraph and a "Proposed text:" line)."""
    return (
        WordFile()
        .title("Integration strategy 2026–2030")
        .heading(1, "1. Access to employment")
        .para(
            "The procedure takes ",
            Around("c-why", (Del("60"), Ins("30"))),
            " days, and ",
            Del("costs"),
            Ins("is free of charge"),
            ".",
        )
        .heading(1, On("2. Housing", "c-proposed"))
        .para("Municipalities provide ", Around("c-export", (Del("temporary"), Ins("decent"))), " housing.")
        .para(Ins("Rents are capped for the first year."))
        .heading(1, "3. Health")
        .para("Migrants are registered with a family doctor.")
        .note("c-why", "Rauf Məmmədov", "Thirty days is what the law on services allows.")
        .note(
            "c-export",
            "Migrant Support NGO",
            "3 · amendment · Migrant Support NGO · 2026-11-20 10:15 UTC\nDecent, not temporary.\nFor families too.",
        )
        .note(
            "c-proposed",
            "Anna Gruber",
            "4 · amendment · 2026-11-21 09:00 UTC\nA cap on rents.\nProposed text: Rents are capped for the first year.",
        )
        .note("c-answer", "Facilitators", "Answer to 3 · accepted\nTaken up.", parent="c-export")
    )


def libreoffice(content: bytes, name: str) -> bytes:
    """The file as LibreOffice writes it: opened in Writer (as .odt) and saved again as .docx."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{name}.docx"
        source.write_bytes(content)
        odt_dir, docx_dir = Path(tmp) / "odt", Path(tmp) / "docx"
        profile = f"-env:UserInstallation=file://{tmp}/profile"
        for target, folder, path in (("odt", odt_dir, source), ("docx", docx_dir, odt_dir / f"{name}.odt")):
            subprocess.run(
                [
                    "soffice",
                    profile,
                    "--headless",
                    "--convert-to",
                    target,
                    "--outdir",
                    str(folder),
                    str(path),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        return (docx_dir / f"{name}.docx").read_bytes()


def writer_file() -> bytes:
    """strategy_libreoffice.fodt (written by hand in LibreOffice Writer's flat ODF) saved as .docx by
    LibreOffice: the same comments and changes as ``strategy()``, in LibreOffice's own markup."""
    source = FIXTURES / "strategy_libreoffice.fodt"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "docx",
                "--outdir",
                tmp,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return (Path(tmp) / "strategy_libreoffice.docx").read_bytes()


def write_fixtures() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    file = strategy()
    (FIXTURES / "strategy_draft.docx").write_bytes(file.draft())
    (FIXTURES / "strategy_word.docx").write_bytes(file.returned())
    (FIXTURES / "strategy_libreoffice.docx").write_bytes(libreoffice(file.returned(), "strategy"))
    (FIXTURES / "strategy_writer.docx").write_bytes(writer_file())
    changes = commented_changes()
    (FIXTURES / "changes_draft.docx").write_bytes(changes.draft())
    (FIXTURES / "changes_word.docx").write_bytes(changes.returned())
    draft, returned = retitled()
    (FIXTURES / "retitled_draft.docx").write_bytes(draft.draft())
    (FIXTURES / "retitled_word.docx").write_bytes(returned.returned())


if __name__ == "__main__":
    write_fixtures()
