"""The matrix as an XLSX workbook, in openpyxl's write-only (streaming) mode: a summary sheet first
(figures, percentages and a chart of comments by kind of organisation), then the matrix with a
frozen header row, an auto-filter, wrapped text and readable widths.

Both sheets print: landscape A4, fitted to the page width, the matrix's header row repeated on
every page. Times are date cells (wall-clock time in the export's zone, named in the header), so
they sort and filter as dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from consult.exports import labels as L
from consult.exports.cells import spreadsheet_cell
from consult.exports.labels import Labels
from consult.exports.matrix import COLUMNS, RoundInfo, Summary, cell_values
from consult.exports.snapshot import MatrixSource

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000

DATE_TIME = "yyyy-mm-dd hh:mm"
PERCENT = "0%"
PERCENT_1 = "0.0%"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)


def sheet_title(text: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31]


def set_up_printing(sheet: Any, *, title_rows: str | None = None) -> None:
    """Landscape A4, as wide as the page (as many pages down as needed), modest margins."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4 (openpyxl's Worksheet.PAPERSIZE_A4)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        sheet.print_title_rows = title_rows


class _Styled:
    """Styled cells for one sheet: the style is built once, then copied (cheap) onto each cell."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self._templates: dict[tuple[bool, int, bool, str], Any] = {}

    def cell(
        self, value: Any, *, wrap: bool = False, indent: int = 0, bold: bool = False, number_format: str = ""
    ) -> Any:
        key = (wrap, indent, bold, number_format)
        template = self._templates.get(key)
        if template is None:
            template = WriteOnlyCell(self.sheet)
            template.alignment = Alignment(wrap_text=wrap, vertical="top", indent=indent)
            if bold:
                template.font = _BOLD
            if number_format:
                template.number_format = number_format
            self._templates[key] = template
        cell = WriteOnlyCell(self.sheet, value)
        cell._style = template._style  # the writer only reads it
        return cell


def write_xlsx(matrix: MatrixSource, out: IO[bytes], progress: Progress | None = None) -> int:
    labels = matrix.labels
    workbook = Workbook(write_only=True)
    summary_sheet = workbook.create_sheet(sheet_title(labels.t(L.SUMMARY)))
    sheet = workbook.create_sheet(sheet_title(labels.t(L.COMMENTS)))
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    set_up_printing(sheet, title_rows="1:1")
    styled = _Styled(sheet)
    sheet.append([styled.cell(column.title(labels), bold=True, wrap=True) for column in COLUMNS])
    wrapped = [column.wrap for column in COLUMNS]
    text_index = [column.key for column in COLUMNS].index("text")
    count = 0
    for row in matrix.rows():
        cells: list[Any] = []
        for index, value in enumerate(cell_values(row, labels)):
            value = spreadsheet_cell(value)
            if isinstance(value, dt.datetime):
                cells.append(styled.cell(value, number_format=DATE_TIME))
            elif value is None or not wrapped[index]:
                cells.append(value)
            else:
                cells.append(styled.cell(value, wrap=True, indent=row.level if index == text_index else 0))
        sheet.append(cells)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    _write_summary(summary_sheet, matrix.info, matrix.summary, labels)
    workbook.save(out)
    return count


def _write_summary(sheet: WriteOnlyWorksheet, info: RoundInfo, summary: Summary, labels: Labels) -> None:
    """Label | value | share rows; the rows of each table are counted so the chart can point at them."""
    t = labels.t
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 14
    sheet.column_dimensions["D"].width = 12
    set_up_printing(sheet)
    sheet.page_setup.orientation = "portrait"
    styled = _Styled(sheet)
    row_number = 0

    def append(cells: list[Any]) -> int:
        nonlocal row_number
        sheet.append(cells)
        row_number += 1
        return row_number

    def title(text: str) -> None:
        cell = WriteOnlyCell(sheet, spreadsheet_cell(text))
        cell.font = _TITLE
        append([cell])

    def heading(*texts: str) -> None:
        append([])
        append([styled.cell(text, bold=True, wrap=True) for text in texts])

    def line(first: Any, second: Any, value: Any = None, share: float | None = None) -> int:
        cells: list[Any] = [spreadsheet_cell(first), styled.cell(spreadsheet_cell(second), wrap=True)]
        if isinstance(value, dt.datetime):
            cells.append(styled.cell(value, number_format=DATE_TIME))
        else:
            cells.append(value)
        if share is not None:
            cells.append(styled.cell(share, number_format=PERCENT_1))
        return append(cells)

    def share(count: int) -> float:
        return count / summary.comments if summary.comments else 0.0

    title(info.title)
    line(t(L.DRAFT), t(L.DRAFT_VERSION, title=info.document_title, number=info.version_number))
    line(t(L.OPENS), labels.zone_name, labels.local(info.opens_at))
    line(t(L.CLOSES), labels.zone_name, labels.local(info.closes_at))

    heading("", t(L.FIGURES), t(L.COUNT))
    line("", t(L.COMMENTS_AND_REPLIES), summary.comments)
    line("", t(L.THREADS), summary.threads)
    line("", t(L.REPLIES), summary.replies)
    invited = len(summary.invited_organisations)
    responded = invited - len(summary.silent_organisations)
    append(
        [
            "",
            styled.cell(t(L.RESPONSE_RATE), wrap=True),
            styled.cell(summary.response_rate, number_format=PERCENT)
            if summary.response_rate is not None
            else None,
            None,
        ]
    )
    line("", t(L.RESPONDED, responded=responded, invited=invited))

    heading(t(L.H_SECTION), t(L.BY_SECTION), t(L.COUNT), t(L.SHARE))
    for number, section_heading, count in summary.section_lines(info):
        line(number, section_heading or t(L.WHOLE_DRAFT), count, share(count))

    heading("", t(L.BY_ORGANISATION_KIND), t(L.COUNT), t(L.SHARE))
    first_kind = row_number + 1
    for kind, count in summary.kind_lines():
        line("", labels.commenting_kind(kind), count, share(count))
    last_kind = row_number

    heading("", t(L.BY_DECISION), t(L.COUNT), t(L.SHARE))
    for decision, count in summary.decision_lines():
        line("", labels.decision(decision), count, share(count))

    heading("", t(L.BY_SOURCE), t(L.COUNT), t(L.SHARE))
    for source, count in summary.source_lines():
        line("", labels.enum("source", source), count, share(count))

    heading("", t(L.SILENT), "")
    for name in summary.silent_organisations or [t(L.NONE)]:
        line("", name)

    if last_kind >= first_kind:
        add_bar_chart(
            sheet,
            title=t(L.BY_ORGANISATION_KIND),
            categories=(2, first_kind, last_kind),
            values=(3, first_kind - 1, last_kind),  # the header row names the series
            anchor=f"B{row_number + 2}",  # under the tables: the page prints at a readable size
        )


def add_bar_chart(
    sheet: Any, *, title: str, categories: tuple[int, int, int], values: tuple[int, int, int], anchor: str
) -> None:
    """A horizontal bar chart of one column of figures against their labels (column, first, last row)."""
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = title
    chart.legend = None
    chart.height = 7.5
    chart.width = 16
    column, first, last = values
    chart.add_data(Reference(sheet, min_col=column, min_row=first, max_row=last), titles_from_data=True)
    column, first, last = categories
    chart.set_categories(Reference(sheet, min_col=column, min_row=first, max_row=last))
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    sheet.add_chart(chart, anchor)
