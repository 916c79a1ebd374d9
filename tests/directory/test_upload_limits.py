"""People files built to hurt the server: each is read by what it holds, not by what it declares,
refused with a problem naming the limit when it holds too much, and parsed while the API answers."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Callable

import httpx
from openpyxl import Workbook

from consult.directory.importer import MAX_COLUMNS, MAX_ROWS, MAX_SHEET_ROWS, MAX_UNPACKED_BYTES
from tests.directory.test_import import HEADER, csv_bytes, upload, xlsx_bytes
from tests.helpers import problem

# The longest /health may take while a file is parsed or built: parsing the CSV below on the event
# loop held it about a second, the Word export of 3,000 comments ten; off the loop, under 0.2 s on an
# idle machine and up to 0.6 s with the machine's two cores busy with other work.
HEALTHY_SECONDS = 0.8


def people(count: int) -> list[list[str]]:
    return [[f"Person {n}", f"person{n}@example.org", "", "", "", "", ""] for n in range(count)]


def repack(
    workbook: bytes, rewrite: dict[str, Callable[[str], str]], add: dict[str, str] | None = None
) -> bytes:
    """The workbook with parts rewritten and parts added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            part = source.read(member)
            target.writestr(
                member.filename,
                rewrite[member.filename](part.decode()) if member.filename in rewrite else part,
            )
        for name, text in (add or {}).items():
            target.writestr(name, text)
    return out.getvalue()


def _insert_before(closing_tag: str, element: str) -> Callable[[str], str]:
    return lambda xml: xml.replace(closing_tag, element + closing_tag)


def while_health_polled(server: str, action: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    """Run ``action`` in a thread while /health is asked again and again; the answer, and the
    longest /health took meanwhile."""
    outcome: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: outcome.append(action()))
    longest = 0.0
    with httpx.Client(base_url=server, timeout=60) as client:
        thread.start()
        while thread.is_alive():
            started = time.monotonic()
            assert client.get("/health").status_code == 200
            longest = max(longest, time.monotonic() - started)
            time.sleep(0.05)
    thread.join()
    return outcome[0], longest


def test_a_workbook_declaring_16384_columns_is_read_by_its_cells_while_the_api_answers(server, api):
    # A few KB whose <dimension> claims column XFD and 20,000 rows: openpyxl padded every row to
    # 16,384 cells, on the event loop, and /health waited 21 s.
    declare_xfd = re.compile(r'<dimension ref="[^"]*"\s*/>')
    workbook = repack(
        xlsx_bytes([HEADER, *people(2_000)]),
        {"xl/worksheets/sheet1.xml": lambda xml: declare_xfd.sub('<dimension ref="A1:XFD20000"/>', xml)},
    )
    assert len(workbook) < 100_000

    response, longest = while_health_polled(
        server, lambda: upload(api, workbook, "people.xlsx", dry_run="true")
    )
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"created": 2_000, "updated": 0, "unchanged": 0, "rejected": 0}
    assert longest < HEALTHY_SECONDS, longest


def test_a_shared_strings_bomb_is_refused_before_it_is_unpacked(api):
    # Highly compressible shared strings: a few dozen KB that unpack to more than the limit.
    item = "<si><t>x</t></si>"
    shared_strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + item * (MAX_UNPACKED_BYTES // len(item) + 1)
        + "</sst>"
    )
    workbook = repack(
        xlsx_bytes([HEADER, *people(1)]),
        {
            "xl/_rels/workbook.xml.rels": _insert_before(
                "</Relationships>",
                '<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
                'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>',
            ),
            "[Content_Types].xml": _insert_before(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.sharedStrings+xml"/>',
            ),
        },
        add={"xl/sharedStrings.xml": shared_strings},
    )
    assert len(workbook) < 500_000

    started = time.monotonic()
    body = problem(upload(api, workbook, "people.xlsx", dry_run="true"), 413, field="file")
    assert time.monotonic() - started < 5
    assert f"{MAX_UNPACKED_BYTES:,} bytes unpacked" in body["detail"]
    assert body["errors"] == [
        {"field": "file", "reason": f"unpacks to more than {MAX_UNPACKED_BYTES:,} bytes"}
    ]


def test_a_header_wider_than_the_column_limit_is_refused(api):
    # An export from another tool, with a title in every column.
    header = [*HEADER, *[f"Field {n}" for n in range(MAX_COLUMNS)]]
    body = problem(
        upload(api, xlsx_bytes([header, *people(1)]), "people.xlsx", dry_run="true"), 422, field="file"
    )
    assert body["errors"][0]["reason"].startswith(f"the header row has more than {MAX_COLUMNS} columns")


def test_a_workbook_reaching_its_last_row_is_refused_at_the_row_limit(api):
    workbook = Workbook()
    for row in [HEADER, *people(1)]:
        workbook.active.append(row)
    workbook.active.cell(row=1_048_576, column=1, value="Last row")
    content = io.BytesIO()
    workbook.save(content)

    body = problem(upload(api, content.getvalue(), "people.xlsx", dry_run="true"), 422, field="file")
    assert body["errors"][0]["reason"].startswith(f"the file has more than {MAX_SHEET_ROWS:,} rows")


def test_the_api_answers_while_a_large_csv_is_parsed(server, api):
    # Every column filled, and 80 columns the import does not know: about as many cells as a file
    # within the size limit can make the import read and check.
    extra = ["x"] * 80
    details = ["Legal Aid Centre", "ngo", "Lawyer", "az", "Asia/Baku"]
    rows = [[*HEADER, *extra]] + [
        [f"Person {n}", f"person{n}@example.org", *details, *extra] for n in range(MAX_ROWS)
    ]
    content = csv_bytes(rows)
    response, longest = while_health_polled(server, lambda: upload(api, content, dry_run="true"))
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["created"] == MAX_ROWS
    assert longest < HEALTHY_SECONDS, longest
