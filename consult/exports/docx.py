"""The matrix as a Word report a ministry can file: A4 with print margins, a title and summary page
(the figures as tables), then a landscape section with the draft's headings in order, each with its
comments and the facilitators' answers in a table whose header row repeats on every page. The comment
and the answer columns get the width. Everything is in the export's language; no codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.table import Table

from consult.exports import labels as L
from consult.exports.cells import xml_text
from consult.exports.labels import Labels
from consult.exports.matrix import MatrixRow, RoundInfo, SectionInfo, Summary
from consult.exports.snapshot import MatrixSource

Progress = Callable[[int], None]
PROGRESS_EVERY = 200

A4_WIDTH, A4_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN = Cm(2.0)
BINDING = Cm(2.5)  # the left margin: room for a hole punch or a binder

# The matrix on landscape A4: 29.7 - 2.5 - 2.0 = 25.2 cm; the comment and the answer get most of it.
_MATRIX_WIDTHS = (Cm(1.4), Cm(4.6), Cm(11.2), Cm(8.0))
# Summary tables on portrait A4: 21.0 - 2.5 - 2.0 = 16.5 cm.
_PROOFING = {"az": "az-Latn-AZ", "ru": "ru-RU", "en": "en-GB", "fr": "fr-FR"}
_FIGURE_WIDTHS = (Cm(12.0), Cm(2.3), Cm(2.2))
_SECTION_WIDTHS = (Cm(1.8), Cm(10.2), Cm(2.3), Cm(2.2))


def _author(row: MatrixRow, labels: Labels) -> str:
    parts = [p for p in (row.author, row.organisation) if p]
    if row.organisation_kind:
        parts.append(f"({labels.organisation_kind(row.organisation_kind)})")
    if not parts:
        parts.append(labels.enum("attribution", "anonymous") or "")
    parts.append(labels.source(row.source, row.source_day))
    return "\n".join(parts)


def _comment(row: MatrixRow, labels: Labels) -> str:
    parts = []
    if row.reply_to:
        parts.append(labels.t(L.REPLY_TO, number=row.reply_to))
    if row.quote:
        parts.append(f"“{row.quote}”")
    parts.append(f"[{labels.enum('kind', row.kind)}] {row.text}")
    if row.proposed_text:
        parts.append(labels.t(L.PROPOSED_TEXT, text=row.proposed_text))
    return "\n".join(parts)


def _answer(row: MatrixRow, labels: Labels) -> str:
    if not row.decision:
        return ""
    parts = [labels.decision(row.decision)]
    if row.rationale:
        parts.append(row.rationale)
    if row.taken_up:
        parts.append(labels.t(L.TAKEN_UP_IN, place=row.taken_up))
    return "\n".join(parts)


def _fixed_widths(table: Table, widths: Sequence[Length]) -> None:
    """Word reads the cells' widths, LibreOffice the grid's: both are set, and autofit is off."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width


def _repeat_header(table: Table) -> None:
    """The first row is repeated at the top of every page the table runs onto."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _proofing_language(style: Any, language: str) -> None:
    """Word and LibreOffice check spelling and hyphenate in the report's language."""
    properties = style.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), _PROOFING[language])
    properties.append(lang)


def _page_footer(section: Any, title: str) -> None:
    """The round's title and the page number on every page (the matrix's section inherits it): a
    printed report can be put back in order and cited by page."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(xml_text(f"{title} · "))
    page = OxmlElement("w:fldSimple")
    page.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    page.append(run)
    paragraph._p.append(page)


def _header_row(table: Table, texts: Sequence[str], widths: Sequence[Length]) -> None:
    for cell, text, width in zip(table.rows[0].cells, texts, widths, strict=True):
        cell.text = xml_text(text)
        cell.width = width
        cell.paragraphs[0].runs[0].bold = True
    _repeat_header(table)


class _Report:
    def __init__(self, info: RoundInfo, labels: Labels) -> None:
        self.doc: DocxDocument = Document()
        self.info = info
        self.labels = labels
        t = labels.t
        section = self.doc.sections[0]
        section.page_width, section.page_height = A4_WIDTH, A4_HEIGHT
        section.orientation = WD_ORIENT.PORTRAIT
        self._margins(section)
        style = self.doc.styles["Normal"]
        style.font.size = Pt(10)
        _proofing_language(style, labels.language)
        _page_footer(section, info.title)
        self.doc.core_properties.title = xml_text(info.title)
        self.doc.core_properties.language = labels.language
        self.doc.add_heading(t(L.CONSOLIDATED_FEEDBACK), level=0)
        self.doc.add_paragraph(xml_text(info.title)).runs[0].bold = True
        self.doc.add_paragraph(
            xml_text(t(L.DRAFT_VERSION, title=info.document_title, number=info.version_number))
        )
        when = "%d.%m.%Y %H:%M"
        self.doc.add_paragraph(
            t(
                L.OPEN_FROM_TO,
                start=labels.local(info.opens_at).strftime(when),
                end=labels.local(info.closes_at).strftime(when),
                zone=labels.zone_name,
            )
        )
        # The summary tables go here once all rows are in: this paragraph marks the place.
        self.summary_anchor = self.doc.add_paragraph()
        matrix = self.doc.add_section(WD_SECTION.NEW_PAGE)
        matrix.orientation = WD_ORIENT.LANDSCAPE
        matrix.page_width, matrix.page_height = A4_HEIGHT, A4_WIDTH
        self._margins(matrix)
        self.table: Table | None = None

    @staticmethod
    def _margins(section: object) -> None:
        section.left_margin = BINDING  # type: ignore[attr-defined]
        for side in ("right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, MARGIN)

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(xml_text(text), level=min(max(level, 1), 9))
        self.table = None

    def add(self, row: MatrixRow) -> None:
        table = self.table
        labels = self.labels
        if table is None:
            table = self.table = self.doc.add_table(rows=1, cols=len(_MATRIX_WIDTHS))
            table.style = "Table Grid"
            _fixed_widths(table, _MATRIX_WIDTHS)
            headers = (labels.t(L.H_NUMBER), labels.t(L.FROM), labels.t(L.H_TEXT), labels.t(L.ANSWER))
            _header_row(table, headers, _MATRIX_WIDTHS)
        cells = table.add_row().cells
        values = (row.number, _author(row, labels), _comment(row, labels), _answer(row, labels))
        for cell, value, width in zip(cells, values, _MATRIX_WIDTHS, strict=True):
            cell.text = xml_text(value)
            cell.width = width
        if row.level:
            cells[2].paragraphs[0].paragraph_format.left_indent = Cm(0.4 * min(row.level, 6))

    def no_comments(self) -> None:
        self.doc.add_paragraph(self.labels.t(L.NO_COMMENTS)).runs[0].italic = True

    def _table_before_anchor(
        self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[Length]
    ) -> None:
        """A heading and a table, put before the summary's anchor (python-docx only appends, so the
        elements are moved there)."""
        heading = self.doc.add_heading(xml_text(title), level=2)
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        _fixed_widths(table, widths)
        _header_row(table, headers, widths)
        for values in rows:
            cells = table.add_row().cells
            for index, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
                cell.text = xml_text(value)
                cell.width = width
                if index and index >= len(values) - 2 and len(values) > 1:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT  # figures
        anchor = self.summary_anchor._p
        anchor.addprevious(heading._p)
        anchor.addprevious(table._tbl)
        anchor.addprevious(OxmlElement("w:p"))  # Word needs a paragraph between two tables

    def finish(self, summary: Summary) -> None:
        labels, t = self.labels, self.labels.t

        def share(count: int) -> str:
            return f"{count / summary.comments:.0%}" if summary.comments else ""

        figures = [
            (t(L.COMMENTS_AND_REPLIES), str(summary.comments), ""),
            (t(L.THREADS), str(summary.threads), share(summary.threads)),
            (t(L.REPLIES), str(summary.replies), share(summary.replies)),
        ]
        invited = len(summary.invited_organisations)
        if invited:
            responded = invited - len(summary.silent_organisations)
            figures.append(
                (
                    t(L.RESPONDED, responded=responded, invited=invited),
                    str(responded),
                    f"{summary.response_rate or 0:.0%}",
                )
            )
        head = (t(L.FIGURE), t(L.COUNT), t(L.SHARE))
        self._table_before_anchor(t(L.FIGURES), head, figures, _FIGURE_WIDTHS)
        sections = [
            (number, heading or t(L.WHOLE_DRAFT), str(count), share(count))
            for number, heading, count in summary.section_lines(self.info)
        ]
        if sections:
            self._table_before_anchor(
                t(L.BY_SECTION),
                (t(L.H_SECTION), t(L.H_HEADING), t(L.COUNT), t(L.SHARE)),
                sections,
                _SECTION_WIDTHS,
            )
        tables = (
            (t(L.BY_ORGANISATION_KIND), [(labels.commenting_kind(k), n) for k, n in summary.kind_lines()]),
            (t(L.BY_DECISION), [(labels.decision(d), n) for d, n in summary.decision_lines()]),
            (t(L.BY_SOURCE), [(labels.enum("source", s) or s, n) for s, n in summary.source_lines()]),
        )
        for title, lines in tables:
            if lines:
                rows = [(name, str(count), share(count)) for name, count in lines]
                self._table_before_anchor(title, (title, t(L.COUNT), t(L.SHARE)), rows, _FIGURE_WIDTHS)
        if summary.silent_organisations:
            self._table_before_anchor(
                t(L.SILENT), (t(L.H_ORGANISATION),), [(n,) for n in summary.silent_organisations], [Cm(16.5)]
            )


def write_docx(matrix: MatrixSource, out: IO[bytes], progress: Progress | None = None) -> int:
    """Headings of sections without comments are kept (with "No comments.") unless a section filter
    narrows the report to one section."""
    info = matrix.info
    labels = matrix.labels
    report = _Report(info, labels)
    only = matrix.filters.section_key
    sections: Iterator[SectionInfo] = iter([s for s in info.sections if only is None or s.key == only])
    current: str | None = None
    started = False
    commented = False
    count = 0

    def close_section() -> None:
        if started and not commented:
            report.no_comments()

    for row in matrix.rows():
        if not started or row.section_key != current:
            if row.section_key is None:
                report.heading(labels.t(L.WHOLE_DRAFT), 1)
            else:
                close_section()
                for section in sections:
                    report.heading(f"{section.number} {section.heading}", section.level)
                    if section.key == row.section_key:
                        break
                    report.no_comments()
            current, started, commented = row.section_key, True, False
        report.add(row)
        commented = True
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    close_section()
    for section in sections:
        report.heading(f"{section.number} {section.heading}", section.level)
        report.no_comments()
    report.finish(matrix.summary)
    report.doc.save(out)
    return count
