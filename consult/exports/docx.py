"""The matrix as a Word report: a title page with the round, its dates and figures, then the draft's
headings in order, each with its comments and the facilitators' answers in a table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt
from docx.table import Table

from consult.exports.cells import xml_text
from consult.exports.matrix import MatrixRow, RoundInfo, SectionInfo, Summary
from consult.exports.snapshot import MatrixSource

Progress = Callable[[int], None]
PROGRESS_EVERY = 200

_HEADERS = ("No.", "From", "Comment", "Answer")
_WIDTHS = (Cm(1.6), Cm(3.6), Cm(7.0), Cm(5.3))


def _author(row: MatrixRow) -> str:
    parts = [p for p in (row.author, row.organisation) if p]
    if row.organisation_kind:
        parts.append(f"({row.organisation_kind})")
    return "\n".join(parts) or "Anonymous"


def _comment(row: MatrixRow) -> str:
    parts = []
    if row.reply_to:
        parts.append(f"Reply to {row.reply_to}")
    if row.quote:
        parts.append(f"“{row.quote}”")
    parts.append(f"[{row.kind}] {row.text}")
    if row.proposed_text:
        parts.append(f"Proposed text: {row.proposed_text}")
    if row.source != "web":  # where it was said or sent from (issue 14: "round table, 8 April 2027")
        parts.append(f"Source: {row.source}")
    return "\n".join(parts)


def _answer(row: MatrixRow) -> str:
    if not row.decision:
        return ""
    parts = [row.decision.capitalize()]
    if row.rationale:
        parts.append(row.rationale)
    if row.taken_up:
        parts.append(f"Taken up in {row.taken_up}")
    return "\n".join(parts)


class _Report:
    def __init__(self, info: RoundInfo) -> None:
        self.doc: DocxDocument = Document()
        self.info = info
        style = self.doc.styles["Normal"]
        style.font.size = Pt(10)
        self.doc.add_heading("Consolidated feedback", level=0)
        self.doc.add_paragraph(xml_text(info.title)).runs[0].bold = True
        self.doc.add_paragraph(xml_text(f"{info.document_title}, version {info.version_number}"))
        self.doc.add_paragraph(
            f"Comment round open from {info.opens_at:%d %B %Y %H:%M} to {info.closes_at:%d %B %Y %H:%M} (UTC)"
        )
        self.figures = self.doc.add_paragraph()  # filled in once all rows are in
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        self.table: Table | None = None

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(xml_text(text), level=min(max(level, 1), 9))
        self.table = None

    def add(self, row: MatrixRow) -> None:
        table = self.table
        if table is None:
            table = self.table = self.doc.add_table(rows=1, cols=len(_HEADERS))
            table.style = "Table Grid"
            for cell, text, width in zip(table.rows[0].cells, _HEADERS, _WIDTHS, strict=True):
                cell.text = text
                cell.width = width
                cell.paragraphs[0].runs[0].bold = True
        cells = table.add_row().cells
        values = (row.number, _author(row), _comment(row), _answer(row))
        for cell, value, width in zip(cells, values, _WIDTHS, strict=True):
            cell.text = xml_text(value)
            cell.width = width
        if row.level:
            cells[2].paragraphs[0].paragraph_format.left_indent = Cm(0.4 * min(row.level, 6))

    def no_comments(self) -> None:
        self.doc.add_paragraph("No comments.").runs[0].italic = True

    def finish(self, summary: Summary) -> None:
        lines = [
            f"{summary.comments} comments ({summary.threads} comments and {summary.replies} replies)",
        ]
        invited = len(summary.invited_organisations)
        if invited:
            responded = invited - len(summary.silent_organisations)
            lines.append(f"{responded} of {invited} invited organisations commented")
        lines.extend(f"{decision}: {count}" for decision, count in summary.decision_lines())
        lines.extend(f"{kind}: {count}" for kind, count in summary.kind_lines())
        for index, line in enumerate(lines):
            if index:
                self.figures.add_run().add_break()
            self.figures.add_run(xml_text(line))


def write_docx(matrix: MatrixSource, out: IO[bytes], progress: Progress | None = None) -> int:
    """Headings of sections without comments are kept (with "No comments.") unless a section filter
    narrows the report to one section."""
    info = matrix.info
    report = _Report(info)
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
                report.heading("Whole draft", 1)
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
