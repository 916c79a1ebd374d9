"""The matrix as an XLSX workbook, in openpyxl's write-only (streaming) mode: a summary sheet first,
then the matrix with a frozen header row, an auto-filter, wrapped text and readable widths."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from consult.exports.cells import spreadsheet_cell
from consult.exports.matrix import COLUMNS, RoundInfo, Summary, cell_values
from consult.exports.snapshot import MatrixSource

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)


class _Styled:
    """Styled cells for one sheet: the style is built once, then copied (cheap) onto each cell."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self._templates: dict[tuple[bool, int, bool], Any] = {}

    def cell(self, value: Any, *, wrap: bool = False, indent: int = 0, bold: bool = False) -> Any:
        key = (wrap, indent, bold)
        template = self._templates.get(key)
        if template is None:
            template = WriteOnlyCell(self.sheet)
            template.alignment = Alignment(wrap_text=wrap, vertical="top", indent=indent)
            if bold:
                template.font = _BOLD
            self._templates[key] = template
        cell = WriteOnlyCell(self.sheet, value)
        cell._style = template._style  # the writer only reads it
        return cell


def write_xlsx(matrix: MatrixSource, out: IO[bytes], progress: Progress | None = None) -> int:
    workbook = Workbook(write_only=True)
    summary_sheet = workbook.create_sheet("Summary")
    sheet = workbook.create_sheet("Comments")
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    styled = _Styled(sheet)
    sheet.append([styled.cell(column.header, bold=True, wrap=True) for column in COLUMNS])
    wrapped = [column.wrap for column in COLUMNS]
    text_index = [column.key for column in COLUMNS].index("text")
    count = 0
    for row in matrix.rows():
        values = cell_values(row)
        cells: list[Any] = []
        for index, value in enumerate(values):
            value = spreadsheet_cell(value)
            if value is None or not wrapped[index]:
                cells.append(value)
            else:
                cells.append(styled.cell(value, wrap=True, indent=row.level if index == text_index else 0))
        sheet.append(cells)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    _write_summary(summary_sheet, matrix.info, matrix.summary)
    workbook.save(out)
    return count


def _write_summary(sheet: WriteOnlyWorksheet, info: RoundInfo, summary: Summary) -> None:
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 12
    styled = _Styled(sheet)

    def title(text: str) -> None:
        cell = WriteOnlyCell(sheet, text)
        cell.font = _TITLE
        sheet.append([cell])

    def heading(*texts: str) -> None:
        sheet.append([])
        sheet.append([styled.cell(text, bold=True) for text in texts])

    def line(*values: Any) -> None:
        sheet.append([spreadsheet_cell(v) for v in values])

    title(spreadsheet_cell(info.title))
    line("Draft", f"{info.document_title} (version {info.version_number})")
    line("Open", f"{info.opens_at:%Y-%m-%d %H:%M} to {info.closes_at:%Y-%m-%d %H:%M} UTC")
    line("Comments", "comments and replies exported", summary.comments)
    line("Threads", "top-level comments", summary.threads)
    line("Replies", "replies to comments", summary.replies)

    heading("Section", "Comments by section", "Comments")
    for number, section_heading, count in summary.section_lines(info):
        line(number, section_heading, count)
    heading("", "Comments by kind of organisation", "Comments")
    for kind, count in summary.kind_lines():
        line("", kind, count)
    heading("", "Comments by decision", "Comments")
    for decision, count in summary.decision_lines():
        line("", decision, count)

    heading("", "Response rate (invited organisations that commented)", "")
    invited = len(summary.invited_organisations)
    responded = invited - len(summary.silent_organisations)
    rate = summary.response_rate
    line("", f"{responded} of {invited} invited organisations commented", rate)
    heading("", "Invited organisations that did not comment", "")
    for name in summary.silent_organisations:
        line("", name)
