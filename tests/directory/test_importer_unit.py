"""The spreadsheet reader and row checks on their own, without the API or a database."""

from __future__ import annotations

import pytest

from consult.directory.importer import (
    MAX_ROWS,
    PeopleSheet,
    PersonRow,
    RejectedRow,
    SheetRow,
    check_row,
    check_rows,
    plan_new_organisations,
    read_people_file,
)
from consult.directory.models import Language, OrganisationKind
from consult.errors import Invalid, PayloadTooLarge
from tests.directory.files import docx_bytes, xlsx_bytes

LIMIT = 1024 * 1024


def read(content: bytes) -> PeopleSheet:
    return read_people_file(content, max_bytes=LIMIT)


def file_error(content: bytes) -> str:
    with pytest.raises(Invalid) as caught:
        read(content)
    assert [e.field for e in caught.value.errors] == ["file"]
    return caught.value.errors[0].reason


def test_excel_csv_with_bom_semicolons_and_header_aliases():
    content = (
        "\ufeffFull name;E-mail;Organization;Organisation kind;Job title;LANGUAGE;Time zone\r\n"
        "Gülnarə Şükürova;G.Shukurova@Migration.gov.az;State Migration Service;Government;Head of unit;az;Asia/Baku\r\n"
    ).encode()
    sheet = read(content)
    assert sheet.file_format == "csv"
    assert sheet.unknown_columns == ()
    assert sheet.rows == (
        SheetRow(
            number=2,
            values={
                "full_name": "Gülnarə Şükürova",
                "email": "G.Shukurova@Migration.gov.az",
                "organisation": "State Migration Service",
                "kind": "Government",
                "position": "Head of unit",
                "language": "az",
                "timezone": "Asia/Baku",
            },
        ),
    )


def test_comma_csv_keeps_quoted_cells_blank_lines_and_row_numbers():
    content = (
        b'name,email,notes\n"Petrova, Irina",i.petrova@example.org,"two\nlines"\n\n,,\nJohn,j@example.org,\n'
    )
    sheet = read(content)
    assert sheet.unknown_columns == ("notes",)
    # A quoted cell spanning two lines is still one spreadsheet row; blank rows keep their numbers.
    assert [(r.number, r.values["full_name"]) for r in sheet.rows] == [(2, "Petrova, Irina"), (5, "John")]


def test_xlsx_uses_the_first_sheet_and_sheet_row_numbers():
    content = xlsx_bytes(
        [
            [None, None],
            ["Name", "Email", "Language"],
            ["Ирина Петрова", "i.petrova@example.org", "Russian"],
            [None, None],
            ["Count", 42, None],
        ]
    )
    sheet = read(content)
    assert sheet.file_format == "xlsx"
    assert [(r.number, r.values) for r in sheet.rows] == [
        (3, {"full_name": "Ирина Петрова", "email": "i.petrova@example.org", "language": "Russian"}),
        (5, {"full_name": "Count", "email": "42", "language": ""}),
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"  \r\n ", "empty"),
        ("name;email\nŞükürova;s@example.org\n".encode("cp1254"), "CSV UTF-8"),
        ("\n".join(["Имя;email", "Ирина Петрова"]).encode("cp1251"), "CSV UTF-8"),
        (bytes(range(256)) * 4, "CSV UTF-8"),
        (b"name,email\nx\x00y,z\n", "not a CSV"),
        (b"PK\x03\x04 not really a zip", "damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (xlsx_bytes([]), "no header row"),
        (b"\n\n;;;\n", "no header row"),
        (b"name,phone\nIrina,123\n", "no email column"),
        (b"organisation,position\nX,Y\n", "no name and email column"),
        (b"name,full name,email\nx,y,z\n", "two columns give the full name"),
        (b"Name;Email\n;\n", "no people"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content, reason):
    assert reason in file_error(content)


def test_a_word_document_is_named_as_such():
    assert "Word document" in file_error(docx_bytes())


def test_size_and_row_limits():
    with pytest.raises(PayloadTooLarge):
        read_people_file(b"name,email\n" + b"x" * 100, max_bytes=50)
    rows = "".join(f"P{i},p{i}@example.org\n" for i in range(MAX_ROWS))
    assert len(read(f"name,email\n{rows}".encode()).rows) == MAX_ROWS
    assert "more than 20,000" in file_error(f"name,email\n{rows}extra,extra@example.org\n".encode())


def row(**values: str) -> SheetRow:
    return SheetRow(number=7, values={"full_name": "Gülnarə Şükürova", "email": "g@example.org", **values})


def test_valid_row_is_normalised_and_blank_cells_stay_unset():
    assert check_row(
        row(email=" G.Shukurova@Migration.GOV.az ", kind="Public agency", language="AZ")
    ) == PersonRow(
        number=7,
        full_name="Gülnarə Şükürova",
        email="g.shukurova@migration.gov.az",
        organisation=None,
        kind=OrganisationKind.PUBLIC_AGENCY,
        position=None,
        language=Language.AZ,
        timezone=None,
    )


def test_invalid_row_names_every_field_at_fault():
    result = check_row(
        SheetRow(
            number=4,
            values={
                "full_name": "",
                "email": "not-an-address",
                "kind": "church",
                "language": "de",
                "timezone": "Baku",
                "position": "x" * 301,
            },
        )
    )
    assert isinstance(result, RejectedRow)
    assert result.number == 4
    assert result.email == "not-an-address"
    assert [e.field for e in result.errors] == [
        "full_name",
        "email",
        "kind",
        "position",
        "language",
        "timezone",
    ]


def test_later_duplicate_email_is_rejected_naming_the_first_row():
    sheet = PeopleSheet(
        file_format="csv",
        unknown_columns=(),
        rows=(
            SheetRow(2, {"full_name": "A", "email": "same@example.org"}),
            SheetRow(3, {"full_name": "B", "email": "other@example.org"}),
            SheetRow(4, {"full_name": "C", "email": "SAME@example.org"}),
        ),
    )
    checked = check_rows(sheet)
    assert [type(r) for r in checked] == [PersonRow, PersonRow, RejectedRow]
    assert isinstance(checked[2], RejectedRow)
    assert checked[2].errors[0].field == "email"
    assert "row 2" in checked[2].errors[0].reason


def person(number: int, organisation: str | None, kind: OrganisationKind | None = None) -> PersonRow:
    return PersonRow(number, "Name", f"p{number}@example.org", organisation, kind, None, None, None)


def test_new_organisations_need_a_kind_once_and_consistently():
    rows = [
        person(2, "Legal Aid Centre"),
        person(3, "legal aid centre ", OrganisationKind.NGO),
        person(4, "LEGAL AID CENTRE", OrganisationKind.ACADEMIA),
        person(5, "Nowhere Institute"),
        person(6, "State Migration Service"),
        person(7, "state migration service", OrganisationKind.NGO),
        person(8, None, OrganisationKind.NGO),
    ]
    new, rejections = plan_new_organisations(rows, existing_keys={"state migration service"})
    assert list(new) == ["legal aid centre"]
    assert new["legal aid centre"].kind == OrganisationKind.NGO
    assert new["legal aid centre"].name == "legal aid centre "
    assert sorted(rejections) == [4, 5]
    assert all(error.field == "kind" for error in rejections.values())
    assert "row 3" in rejections[4].reason
