"""Reading reports and codes, without the server: the shapes the fixtures do not cover."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from openpyxl import Workbook

from consult.attendance.parsing import ReportRow, merged_minutes, read_report
from consult.errors import Invalid
from consult.invitations.checkin import checkin_code, normalise_code

MAX = 1_000_000


def _row(join: str | None, leave: str | None, minutes: float | None = None) -> ReportRow:
    at = dt.datetime.fromisoformat
    return ReportRow(
        1, "A", "a@example.org", at(join) if join else None, at(leave) if leave else None, minutes
    )


def test_minutes_merge_overlaps_and_add_durations_without_times():
    rows = [
        _row("2027-04-08T10:00", "2027-04-08T10:30"),
        _row("2027-04-08T10:20", "2027-04-08T10:40"),  # overlaps: 10:00-10:40
        _row("2027-04-08T10:40", "2027-04-08T10:50"),  # touches: 10:00-10:50
        _row("2027-04-08T11:00", "2027-04-08T11:05"),
        _row(None, None, 8),
    ]
    assert merged_minutes(rows) == 50 + 5 + 8


def test_utf16_without_its_byte_order_mark_and_semicolons():
    text = "Name\tEmail\tDuration\r\nAnna Gruber\ta.gruber@icmpd.example.org\t1:05:30\r\n"
    report = read_report(text.encode("utf-16-le"), max_bytes=MAX)
    assert [(r.name, r.minutes) for r in report.rows] == [("Anna Gruber", 65.5)]
    semicolons = "name;email;join;leave\nLuc;l@example.org;2027-04-08 10:00;2027-04-08 10:45\n"
    (row,) = read_report(semicolons.encode(), max_bytes=MAX).rows
    assert merged_minutes([row]) == 45


@pytest.mark.parametrize(
    ("duration", "minutes"), [("47", 47), ("1h 5m 28s", 65 + 28 / 60), ("30m", 30), ("45s", 0.75)]
)
def test_durations_as_zoom_and_teams_write_them(duration: str, minutes: float):
    text = f"Name,Email,Duration\nA,a@example.org,{duration}\n"
    (row,) = read_report(text.encode(), max_bytes=MAX).rows
    assert row.minutes == pytest.approx(minutes)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02binary" * 50,
        b"%PDF-1.7\n" + bytes(range(256)) * 4,
        b"Name,Email\nAnna,a@example.org\n",  # no times at all
        b"PK\x03\x04" + b"\x00" * 40,
    ],
)
def test_what_is_not_a_report_is_refused(content: bytes):
    with pytest.raises(Invalid) as refused:
        read_report(content, max_bytes=MAX)
    assert [e.field for e in refused.value.errors] == ["file"]


def test_codes_are_stable_distinct_and_forgiving():
    first, second = uuid.uuid4(), uuid.uuid4()
    code = checkin_code("k" * 40, first)
    assert code == checkin_code("k" * 40, first) != checkin_code("k" * 40, second)
    assert code != checkin_code("another key" * 4, first)
    assert normalise_code(f"  {code.lower()} ") == code
    assert normalise_code(code.replace("-", "")) == code
    assert normalise_code("ABCDE-FGHJ") is None  # too short
    assert normalise_code("ABCDE-FGHJU") is None  # U is not in the alphabet


def test_a_teams_workbook_with_its_sections_on_one_sheet():
    workbook = Workbook()
    sheet = workbook.active
    for cells in (
        ["1. Summary"],
        ["Meeting title", "Round table"],
        [],
        ["2. Participants"],
        ["Name", "First Join", "Last Leave", "In-Meeting Duration", "Email", "Role"],
        [
            "Anna Gruber",
            "4/8/27, 9:58:00 AM",
            "4/8/27, 12:00:00 PM",
            "1h 52m",
            "a.gruber@icmpd.example.org",
            "Attendee",
        ],
        [],
        ["3. In-Meeting Activities"],
        ["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
        [
            "Anna Gruber",
            "4/8/27, 9:58:00 AM",
            "4/8/27, 10:30:00 AM",
            "32m",
            "a.gruber@icmpd.example.org",
            "Attendee",
        ],
        [
            "Anna Gruber",
            "4/8/27, 10:40:00 AM",
            "4/8/27, 12:00:00 PM",
            "1h 20m",
            "a.gruber@icmpd.example.org",
            "Attendee",
        ],
    ):
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    report = read_report(out.getvalue(), max_bytes=MAX)
    assert (report.kind, report.file_format) == ("teams", "xlsx")
    assert [r.number for r in report.rows] == [10, 11]  # the activities, not the summary row
    assert merged_minutes(report.rows) == 112
