"""Reading an online meeting's participant report into rows of name, email and time in the meeting.

Pure functions, no database (matching to invitees is consult.attendance.service's). Understood:

- Zoom's participant export (CSV): ``Name (Original Name), User Email, Join Time, Leave Time,
  Duration (Minutes), ...``, one row per join (a rejoin is another row); exported "with meeting
  data" it starts with a table about the meeting (``Meeting ID, Topic, ..., User Email`` of the
  host) and a blank line before the participants' table.
- Microsoft Teams' attendance report: UTF-16 text with tabs (or an Excel workbook), in sections
  ``1. Summary``, ``2. Participants`` (first join, last leave, in-meeting duration) and ``3.
  In-Meeting Activities`` (one row per join and leave). The activities are read when present.
- A plain CSV with ``name, email, join, leave`` (ISO 8601 or the formats above).

The participants' table is the one whose header names a person (a name column) and when they were
there (join and leave times, or a duration); with several, the one with the most rows (Teams'
activities rather than its per-person summary). It must have an email column: matching by name
alone is a fallback for the guests whose cell is empty, not a way to read a whole report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import load_workbook

from consult.errors import FieldError, Invalid, PayloadTooLarge
from consult.uploads import zip_member_names

MAX_ROWS = 50_000  # rows read, blank ones and the report's other sections included
MAX_COLUMNS = 60
MAX_CELL_LENGTH = 1_000
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_MINUTES = 7 * 24 * 60  # a row claiming more than a week in one meeting is not a meeting

ReportKind = Literal["zoom", "teams", "plain"]
FileFormat = Literal["csv", "xlsx"]

_XLSX_SIGNATURE = b"PK\x03\x04"
_LEGACY_XLS_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HINT = "send the participant report as Zoom or Teams export it (CSV or XLSX), or a CSV of name, email, join, leave"

# Header titles, compared after _key() drops case, spaces and punctuation.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("nameoriginalname", "name", "fullname", "participant", "participantname", "displayname"),
    "email": ("useremail", "email", "emailaddress", "mail"),
    "upn": ("participantidupn", "upn"),
    "join": ("jointime", "firstjoin", "join", "joined", "jointimestamp", "firstjointime"),
    "leave": ("leavetime", "lastleave", "leave", "left", "leavetimestamp", "lastleavetime"),
    "duration": ("durationminutes", "inmeetingduration", "duration", "minutes", "attendanceduration"),
}
_FIELD_BY_KEY = {alias: field for field, aliases in _COLUMNS.items() for alias in aliases}
_SECTION = re.compile(r"^\d+\.\s+\S")  # Teams' "2. Participants"

_TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",  # Zoom: 04/08/2027 09:59:01 AM
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y, %I:%M:%S %p",  # Teams (en-US): 4/8/27, 9:59:01 AM
    "%m/%d/%Y, %I:%M:%S %p",
    "%d/%m/%Y, %H:%M:%S",  # Teams (en-GB, fr, ru): 08/04/2027, 09:59:01
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)
_DURATION_PARTS = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$")


@dataclass(frozen=True)
class ReportRow:
    number: int  # the line (CSV) or row (the workbook's sheets one after another) in the file
    name: str
    email: str  # as written; empty for guests
    join: dt.datetime | None  # naive: the report's clock (the meeting host's zone) or UTC
    leave: dt.datetime | None
    minutes: float | None  # the row's own duration, used when it gives no join and leave


@dataclass(frozen=True)
class Unreadable:
    number: int
    name: str
    email: str
    reason: str


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    file_format: FileFormat
    rows: tuple[ReportRow, ...]
    unreadable: tuple[Unreadable, ...]


def _refuse(reason: str) -> Invalid:
    return Invalid.field("file", reason)


def read_report(content: bytes, *, max_bytes: int) -> Report:
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"the file has {len(content):,} bytes; reports are limited to {max_bytes:,} bytes",
            errors=[FieldError("file", f"larger than {max_bytes:,} bytes")],
        )
    if not content.strip():
        raise _refuse("the file is empty")
    if content.startswith(_XLSX_SIGNATURE):
        return _report("xlsx", _xlsx_records(content))
    if content.startswith(_LEGACY_XLS_SIGNATURE):
        raise _refuse(f"old Excel 97-2003 files (.xls) are not supported; {_HINT}")
    return _report("csv", _csv_records(_text(content)))


def _text(content: bytes) -> str:
    """Zoom writes UTF-8 (with a byte order mark), Teams UTF-16 with one; anything else that is not
    UTF-8 text (an image, a PDF, a zip) is refused here rather than read as nonsense."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(content) >= 4 and content[1] == 0 and content[3] == 0 and content[0] and content[2]:
        encoding = "utf-16-le"  # UTF-16 saved without its byte order mark
    else:
        encoding = "utf-8-sig"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        raise _refuse(f"the file is neither a spreadsheet nor text (UTF-8 or UTF-16); {_HINT}") from None
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x1b\x7f"):
        raise _refuse(f"the file is not a text file (it holds control characters); {_HINT}")
    return text


def _csv_records(text: str) -> Iterator[Sequence[Any]]:
    head = text[:4096]
    delimiter = "\t" if "\t" in head else max((",", ";"), key=head.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise _refuse(f"the file cannot be read near line {reader.line_num}: {exc}") from None


def _xlsx_records(content: bytes) -> Iterator[Sequence[Any]]:
    """Every sheet, one after another with a blank row between (Teams' sections may be sheets)."""
    parts = zip_member_names(
        content,
        max_unpacked_bytes=MAX_UNPACKED_BYTES,
        what="the Excel workbook",
        damaged=f"the file looks like a damaged Excel workbook; {_HINT}",
    )
    if "xl/workbook.xml" not in parts:
        raise _refuse(f"the file is a zip archive, not an Excel workbook; {_HINT}")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                sheet.reset_dimensions()  # else openpyxl pads rows to what the sheet claims
                yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
                yield ()
        finally:
            workbook.close()
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 - openpyxl fails in many ways on a malformed workbook
        raise _refuse(f"the Excel workbook cannot be read; {_HINT}") from None


def _key(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.casefold())


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()[:MAX_CELL_LENGTH]
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, int, float)):  # a workbook's typed cells
        return value
    return str(value).strip()[:MAX_CELL_LENGTH]


@dataclass
class _Table:
    header_row: int
    fields: dict[str, int]  # field -> column position
    keys: set[str]  # the header's titles, as _key() gives them
    rows: list[tuple[int, list[Any]]]


def _header(number: int, cells: list[Any]) -> _Table | None:
    """A table starts here when the row names a participant and when they were there."""
    fields: dict[str, int] = {}
    keys = {_key(cell) for cell in cells if isinstance(cell, str) and cell}
    for position, cell in enumerate(cells):
        if isinstance(cell, str) and cell:
            field = _FIELD_BY_KEY.get(_key(cell))
            if field and field not in fields:
                fields[field] = position
    when = ("join" in fields and "leave" in fields) or "duration" in fields
    return _Table(number, fields, keys, []) if "name" in fields and when else None


def _tables(records: Iterator[Sequence[Any]]) -> tuple[list[_Table], bool]:
    """The tables of people in the file, and whether it has Teams' numbered sections."""
    tables: list[_Table] = []
    current: _Table | None = None
    sections = False
    for number, raw in enumerate(records, start=1):
        if number > MAX_ROWS:
            raise _refuse(f"the file has more than {MAX_ROWS:,} rows; split it into several files")
        cells = [_cell(c) for c in raw[:MAX_COLUMNS]]
        filled = [c for c in cells if c not in ("", None)]
        if not filled:
            current = None  # a blank line ends a table
            continue
        if len(filled) == 1 and isinstance(filled[0], str) and _SECTION.match(filled[0]):
            sections = True
            current = None
            continue
        if current is not None:
            current.rows.append((number, cells))
            continue
        # A table starts after a blank line or a section's title (or at the top): rows within one
        # are not headers, which spares reading thousands of names as column titles.
        header = _header(number, cells)
        if header is not None:
            current = header
            tables.append(current)
    return tables, sections


def _report(file_format: FileFormat, records: Iterator[Sequence[Any]]) -> Report:
    tables, sections = _tables(records)
    if not tables:
        raise _refuse(
            "no table of participants found: no header row names a participant (Name) with their "
            f"join and leave times or duration; {_HINT}"
        )
    table = max(tables, key=lambda t: (len(t.rows), "join" in t.fields))
    if "email" not in table.fields and "upn" not in table.fields:
        raise _refuse(
            f"the participants' table (row {table.header_row}) has no email column; people are "
            "matched to invitees by email (then by name): export the report with the email column"
        )
    kind = _kind(tables, sections)
    rows: list[ReportRow] = []
    unreadable: list[Unreadable] = []
    clock = _Clock()
    for number, cells in table.rows:
        parsed = _row(table.fields, number, cells, clock)
        (rows if isinstance(parsed, ReportRow) else unreadable).append(parsed)  # type: ignore[arg-type]
    if not rows and not unreadable:
        raise _refuse(f"the participants' table (row {table.header_row}) has no rows")
    return Report(kind=kind, file_format=file_format, rows=tuple(rows), unreadable=tuple(unreadable))


_TEAMS_TITLES = {"firstjoin", "lastleave", "inmeetingduration", "participantidupn"}
_ZOOM_TITLES = {"nameoriginalname", "useremail", "durationminutes"}


def _kind(tables: list[_Table], sections: bool) -> ReportKind:
    """Said back in the answer, so that a wrong file is noticed; matching is the same for all."""
    keys = set().union(*(t.keys for t in tables))
    if sections or keys & _TEAMS_TITLES:
        return "teams"
    return "zoom" if keys & _ZOOM_TITLES else "plain"


def _get(fields: dict[str, int], cells: list[Any], field: str) -> Any:
    position = fields.get(field)
    return cells[position] if position is not None and position < len(cells) else ""


def _row(fields: dict[str, int], number: int, cells: list[Any], clock: _Clock) -> ReportRow | Unreadable:
    name = str(_get(fields, cells, "name") or "")
    email = str(_get(fields, cells, "email") or "") or _upn_email(str(_get(fields, cells, "upn") or ""))
    join, leave = clock.read(_get(fields, cells, "join")), clock.read(_get(fields, cells, "leave"))
    minutes = _minutes(_get(fields, cells, "duration"))
    if join is not None and leave is not None:
        if leave < join:
            return Unreadable(number, name, email, "it leaves before it joins")
        if (leave - join).total_seconds() > MAX_MINUTES * 60:
            return Unreadable(number, name, email, "it lasts more than a week")
    elif minutes is None:
        return Unreadable(number, name, email, "no join and leave times or duration can be read")
    else:
        join = leave = None
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES:
        return Unreadable(number, name, email, "the duration is out of range")
    if not name and not email:
        return Unreadable(number, name, email, "it names nobody")
    return ReportRow(number, name, email, join, leave, minutes)


def _upn_email(upn: str) -> str:
    return upn if "@" in upn else ""


class _Clock:
    """Reads a report's times; one report writes them one way, so the format that read the last
    one is tried first (strptime failing through a list of formats is most of a report's reading)."""

    def __init__(self) -> None:
        self.formats = list(_TIME_FORMATS)

    def read(self, value: Any) -> dt.datetime | None:
        parsed: dt.datetime | None = None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, str) and value:
            # Teams (and Excel) write a narrow no-break space before AM/PM.
            parsed = self._parse(re.sub(r"\s+", " ", value.replace("\u202f", " ")).strip())
        if parsed is None:
            return None
        if parsed.tzinfo is not None:  # one report, one clock: compare everything in UTC
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        return parsed

    def _parse(self, text: str) -> dt.datetime | None:
        if text[:4].isdigit():
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        for position, fmt in enumerate(self.formats):
            try:
                parsed = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - the report's own clock
            except ValueError:
                continue
            if position:
                self.formats.insert(0, self.formats.pop(position))
            return parsed
        return None


def _minutes(value: Any) -> float | None:
    """``47`` (Zoom: minutes), ``1h 5m 28s`` (Teams), ``1:05:28``."""
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    clock = re.fullmatch(r"(\d+):(\d{2}):(\d{2})", text)
    if clock:
        hours, mins, secs = (int(g) for g in clock.groups())
        return hours * 60 + mins + secs / 60
    parts = _DURATION_PARTS.match(text)
    if parts and any(parts.groups()):
        hours, mins, secs = (int(g or 0) for g in parts.groups())
        return hours * 60 + mins + secs / 60
    return None


def merged_minutes(rows: Sequence[ReportRow]) -> int:
    """One person's time in the meeting: overlapping joins (two devices, a rejoin before the leave
    was logged) counted once; rows without times add their durations."""
    intervals = sorted((r.join, r.leave) for r in rows if r.join is not None and r.leave is not None)
    seconds = 0.0
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    for join, leave in intervals:
        if end is None or join > end:
            if start is not None and end is not None:
                seconds += (end - start).total_seconds()
            start, end = join, leave
        else:
            end = max(end, leave)
    if start is not None and end is not None:
        seconds += (end - start).total_seconds()
    seconds += sum((r.minutes or 0) * 60 for r in rows if r.join is None)
    return round(seconds / 60)
