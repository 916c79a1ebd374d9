"""Reading a people spreadsheet (CSV or XLSX, as Excel saves them) into checked rows.

Pure functions, no database: the file becomes a ``PeopleSheet`` (one dict of cell texts per row,
keyed by field), each row becomes either a ``PersonRow`` or a ``RejectedRow`` naming the fields at
fault. Matching against the directory and writing happen in ``consult.directory.imports``.

Row numbers are the ones the spreadsheet shows: the header is row 1 when it is the first row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import load_workbook

from consult.auth.service import normalise_email
from consult.directory.models import Language, OrganisationKind
from consult.errors import FieldError, Invalid, PayloadTooLarge
from consult.uploads import zip_member_names
from consult.validation import check_timezone

# Matching existing people and organisations sends one bind parameter per row; PostgreSQL and
# SQLite both accept up to 32,766 of them in one statement.
MAX_ROWS = 20_000
MAX_TEXT_LENGTH = 300  # the directory's name, position and organisation columns
# What is read of a file, whatever it declares: a workbook's <dimension> can claim 16,384 columns
# and a million rows, and a few KB of zip can unpack to gigabytes of shared strings.
MAX_COLUMNS = 100  # the directory needs seven; exports from other tools carry a few dozen
MAX_SHEET_ROWS = 50_000  # rows read, blank ones included: MAX_ROWS people with room to spare
MAX_UNPACKED_BYTES = 40 * 1024 * 1024  # a workbook of MAX_ROWS people unpacks to about 10 MB

FileFormat = Literal["csv", "xlsx"]

# Header aliases, compared after _header_key() drops case, spaces and punctuation ("E-mail" -> "email").
_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "full_name": ("name", "fullname", "personname", "contactname"),
    "email": ("email", "emailaddress", "mail"),
    "organisation": ("organisation", "organization", "organisationname", "organizationname", "org"),
    "kind": (
        "kind",
        "organisationkind",
        "organizationkind",
        "orgkind",
        "organisationtype",
        "organizationtype",
    ),
    "position": ("position", "jobtitle", "title"),
    "language": ("language", "lang"),
    "timezone": ("timezone", "tz"),
}
_FIELD_BY_HEADER = {alias: field for field, aliases in _COLUMN_ALIASES.items() for alias in aliases}
REQUIRED_COLUMNS = ("full_name", "email")

_LANGUAGE_NAMES = {
    "azerbaijani": Language.AZ,
    "russian": Language.RU,
    "english": Language.EN,
    "french": Language.FR,
}

_SAVE_AS_HINT = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)' or 'Excel Workbook (.xlsx)'"
_XLSX_SIGNATURE = b"PK\x03\x04"
_LEGACY_XLS_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: .xls and .doc before 2007


@dataclass(frozen=True)
class SheetRow:
    number: int
    values: dict[str, str]  # field -> stripped cell text, only for recognised columns


@dataclass(frozen=True)
class PeopleSheet:
    file_format: FileFormat
    unknown_columns: tuple[str, ...]
    rows: tuple[SheetRow, ...]


@dataclass(frozen=True)
class PersonRow:
    """A valid row. ``None`` means the cell was blank: defaults apply to new people, and existing
    people keep what they have."""

    number: int
    full_name: str
    email: str  # normalised
    organisation: str | None
    kind: OrganisationKind | None
    position: str | None
    language: Language | None
    timezone: str | None


@dataclass(frozen=True)
class RejectedRow:
    number: int
    email: str | None  # the cell as written, for the report
    errors: tuple[FieldError, ...]


CheckedRow = PersonRow | RejectedRow


def _file_error(reason: str) -> Invalid:
    return Invalid.field("file", reason)


def read_people_file(content: bytes, *, max_bytes: int) -> PeopleSheet:
    """Parse an uploaded file, recognising XLSX by its content and taking anything else as CSV."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"the file has {len(content):,} bytes; imports are limited to {max_bytes:,} bytes",
            errors=[FieldError("file", f"larger than {max_bytes:,} bytes; split it into several files")],
        )
    if not content.strip():
        raise _file_error("the file is empty")
    if content.startswith(_XLSX_SIGNATURE):
        return _sheet("xlsx", _xlsx_records(content))
    if content.startswith(_LEGACY_XLS_SIGNATURE):
        raise _file_error(f"old Excel 97-2003 files (.xls) are not supported; {_SAVE_AS_HINT}")
    return _sheet("csv", _csv_records(content))


def _csv_records(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        raise _file_error(f"the file is neither an Excel workbook nor UTF-8 text; {_SAVE_AS_HINT}") from None
    if "\x00" in text:
        raise _file_error(f"the file is not a CSV text file; {_SAVE_AS_HINT}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        # Each record is one spreadsheet row, even when a quoted cell spans several lines.
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _file_error(f"the CSV file cannot be read near line {reader.line_num}: {exc}") from None


def _delimiter(text: str) -> str:
    """Excel writes ',' or ';' depending on the regional settings; the header line tells which."""
    header = text.lstrip().split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def _xlsx_records(content: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    parts = zip_member_names(
        content,
        max_unpacked_bytes=MAX_UNPACKED_BYTES,
        what="the Excel workbook",
        damaged=f"the file looks like a damaged Excel workbook; {_SAVE_AS_HINT}",
    )
    if "xl/workbook.xml" not in parts:
        found = "a Word document" if "word/document.xml" in parts else "a zip archive"
        raise _file_error(f"the file is {found}, not an Excel workbook; {_SAVE_AS_HINT}")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Without this, openpyxl pads every row to the columns and rows the sheet declares.
            sheet.reset_dimensions()
            # read_only mode yields every row up to the last used one, so positions are row numbers.
            yield from enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1)
        finally:
            workbook.close()
    except Exception:  # noqa: BLE001 - openpyxl fails in many ways on a malformed workbook
        raise _file_error(f"the Excel workbook cannot be read; {_SAVE_AS_HINT}") from None


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _header_key(header: str) -> str:
    return re.sub(r"[\W_]+", "", header.casefold())


def _sheet(file_format: FileFormat, records: Iterator[tuple[int, Sequence[Any]]]) -> PeopleSheet:
    bounded = _bounded(records)
    header: list[str] | None = None
    for _, cells in bounded:
        texts = [_cell_text(c) for c in cells]
        if any(texts):
            header = texts
            break
    if header is None:
        raise _file_error("the file has no header row; the first row must name the columns, e.g. Name, Email")
    if len(header) > MAX_COLUMNS and header[MAX_COLUMNS]:
        raise _file_error(f"the header row has more than {MAX_COLUMNS} columns; remove the ones not imported")
    # Cells right of the last titled column carry nothing the import reads.
    width = max(position for position, title in enumerate(header) if title) + 1

    fields_by_position, unknown_columns = _map_columns(header[:width])
    rows: list[SheetRow] = []
    for number, cells in bounded:
        texts = [_cell_text(c) for c in cells[:width]]
        if not any(texts):
            continue
        if len(rows) == MAX_ROWS:
            raise _file_error(f"the file has more than {MAX_ROWS:,} people; split it into several files")
        values = {field: texts[pos] for pos, field in fields_by_position.items() if pos < len(texts)}
        rows.append(SheetRow(number=number, values=values))
    if not rows:
        raise _file_error("the file has no people: every row below the header is empty")
    return PeopleSheet(file_format=file_format, unknown_columns=tuple(unknown_columns), rows=tuple(rows))


def _bounded(records: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    """At most MAX_SHEET_ROWS records of at most MAX_COLUMNS + 1 cells (the one more tells a header
    that is too wide)."""
    for number, cells in records:
        if number > MAX_SHEET_ROWS:
            raise _file_error(
                f"the file has more than {MAX_SHEET_ROWS:,} rows (blank rows included); "
                "delete the empty rows or split it into several files"
            )
        yield number, cells[: MAX_COLUMNS + 1]


def _map_columns(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """The field each column gives, by position, and the column titles we do not know."""
    fields_by_position: dict[int, str] = {}
    unknown_columns: list[str] = []
    for position, title in enumerate(header):
        if not title:
            continue  # Excel saves stray empty columns; they carry nothing
        field = _FIELD_BY_HEADER.get(_header_key(title))
        if field is None:
            unknown_columns.append(title)
        elif field in fields_by_position.values():
            raise _file_error(f"two columns give the {field.replace('_', ' ')}; keep one of them")
        else:
            fields_by_position[position] = field
    missing = [f for f in REQUIRED_COLUMNS if f not in fields_by_position.values()]
    if missing:
        names = " and ".join(_COLUMN_ALIASES[f][0] for f in missing)
        raise _file_error(
            f"the header row has no {names} column (found: {', '.join(t for t in header if t)})"
        )
    return fields_by_position, unknown_columns


def check_rows(sheet: PeopleSheet) -> list[CheckedRow]:
    """Check every row; a repeated email address rejects the later row."""
    first_row_by_email: dict[str, int] = {}
    checked: list[CheckedRow] = []
    for row in sheet.rows:
        result = check_row(row)
        if isinstance(result, PersonRow):
            first = first_row_by_email.setdefault(result.email, row.number)
            if first != row.number:
                result = RejectedRow(
                    row.number,
                    result.email,
                    (FieldError("email", f"the same address is already in row {first}"),),
                )
        checked.append(result)
    return checked


def check_row(row: SheetRow) -> CheckedRow:
    """The checks the API applies to one person, collecting every field at fault."""
    errors: list[FieldError] = []

    def cell(field: str, parse: Callable[[str], Any] | None = None, *, required: bool = False) -> Any:
        value = row.values.get(field, "")
        if not value:
            if required:
                errors.append(FieldError(field, "required"))
            return None
        if len(value) > MAX_TEXT_LENGTH:
            errors.append(FieldError(field, f"longer than {MAX_TEXT_LENGTH} characters"))
            return None
        if parse is None:
            return value
        try:
            return parse(value)
        except Invalid as exc:
            errors.extend(exc.errors)
            return None

    person = PersonRow(
        number=row.number,
        full_name=cell("full_name", required=True),
        email=cell("email", normalise_email, required=True),
        organisation=cell("organisation"),
        kind=cell("kind", parse_kind),
        position=cell("position"),
        language=cell("language", parse_language),
        timezone=cell("timezone", check_timezone),
    )
    if errors:
        return RejectedRow(row.number, row.values.get("email") or None, tuple(errors))
    return person


def parse_kind(value: str) -> OrganisationKind:
    """Accepts the API values and how people type them: "NGO", "Public agency", "private-sector"."""
    try:
        return OrganisationKind(re.sub(r"[\s-]+", "_", value.strip().casefold()))
    except ValueError:
        allowed = ", ".join(k.value for k in OrganisationKind)
        raise Invalid.field("kind", f"{value!r} is not an organisation kind (one of {allowed})") from None


def parse_language(value: str) -> Language:
    """Accepts a code ("az", "RU") or the language's English name ("Azerbaijani")."""
    key = value.strip().casefold()
    if key in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[key]
    try:
        return Language(key)
    except ValueError:
        allowed = ", ".join(lang.value for lang in Language)
        raise Invalid.field("language", f"{value!r} is not a supported language (one of {allowed})") from None


def organisation_key(name: str) -> str:
    """Organisations are the same when their names differ only in case or surrounding spaces."""
    return name.strip().lower()


@dataclass(frozen=True)
class NewOrganisation:
    name: str  # as first written in the file
    kind: OrganisationKind
    first_row: int


def plan_new_organisations(
    rows: Sequence[PersonRow], existing_keys: set[str]
) -> tuple[dict[str, NewOrganisation], dict[int, FieldError]]:
    """The organisations the file creates, keyed by organisation_key, and the rows rejected for them.

    A new organisation needs its kind once, in any of its rows; a row giving a different kind for
    it is rejected rather than silently ignored. Kinds given for existing organisations are ignored.
    """
    new: dict[str, NewOrganisation] = {}
    rejections: dict[int, FieldError] = {}
    for row in rows:
        if row.organisation is None or row.kind is None:
            continue
        key = organisation_key(row.organisation)
        if key in existing_keys:
            continue
        planned = new.setdefault(key, NewOrganisation(row.organisation, row.kind, row.number))
        if planned.kind != row.kind:
            rejections[row.number] = FieldError(
                "kind",
                f"row {planned.first_row} gives {planned.kind.value!r} for the new organisation {planned.name!r}",
            )
    for row in rows:
        if row.organisation is None:
            continue
        key = organisation_key(row.organisation)
        if key not in existing_keys and key not in new:
            rejections[row.number] = FieldError(
                "kind", f"{row.organisation!r} is a new organisation; give its kind to create it"
            )
    return new, rejections
