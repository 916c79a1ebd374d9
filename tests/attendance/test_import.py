"""Attendance from an online meeting's participant report: Zoom, Teams (UTF-16 text and XLSX) and a
plain CSV, matched to invitees by email then name, rejoins summed; bad files refused whole."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from consult.attendance.models import EventAttendance
from consult.auth.models import Role
from tests.attendance.conftest import (
    ANNA,
    FIXTURES,
    GULNARA,
    IRINA,
    LUC,
    RAUF_ASAN,
    RAUF_DOST,
    Scenario,
    code_of,
)
from tests.helpers import problem


def _send(api, event: dict, name: str, *, dry_run: bool = False, content: bytes | None = None):
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return api.post(
        f"/api/v1/events/{event['id']}/attendance/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (name, data, "application/octet-stream")},
    )


def _minutes(api, event: dict) -> dict[str, int | None]:
    items = api.get(f"/api/v1/events/{event['id']}/attendance").json()["items"]
    return {a["person"]["email"]: a["minutes"] for a in items}


def test_a_zoom_report_is_matched_by_email_then_name(api, scenario: Scenario):
    event = scenario.event
    dry = _send(api, event, "zoom_participants.csv", dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["report_kind"], report["file_format"]) == ("zoom", "csv")
    assert report["dry_run"] is True and report["written"] is False
    assert _minutes(api, event) == {}  # a dry run writes nothing

    matched = {m["person"]["email"]: m for m in report["matched"]}
    # Gülnarə: 42 + 76 minutes; her phone's 30 minutes overlap the second join and count once. The
    # address in the report differs in case from the directory's.
    assert matched[GULNARA]["minutes"] == 118 and matched[GULNARA]["rows"] == [5, 7, 8]
    assert matched[GULNARA]["matched_by"] == "email"
    assert matched[IRINA]["minutes"] == 60
    # A guest without an address, renamed in the meeting: Zoom's "Name (Original Name)".
    assert matched[LUC]["minutes"] == 90 and matched[LUC]["matched_by"] == "name"
    assert set(matched) == {GULNARA, IRINA, LUC}
    # Two invitees are called Rauf Məmmədov: the row is not guessed.
    [ambiguous] = report["ambiguous"]
    assert ambiguous["row"]["name"] == "Rauf Məmmədov" and ambiguous["row"]["row"] == 10
    assert {c["email"] for c in ambiguous["candidates"]} == {RAUF_ASAN, RAUF_DOST}
    [unmatched] = report["unmatched"]
    assert unmatched["row"] == {"row": 11, "name": "iPhone 13", "email": "", "minutes": 2}
    assert report["counts"] == {"rows": 7, "matched_rows": 5, "people": 3, "unmatched": 1, "ambiguous": 1}

    written = _send(api, event, "zoom_participants.csv")
    assert written.status_code == 200 and written.json()["written"] is True
    assert _minutes(api, event) == {GULNARA: 118, IRINA: 60, LUC: 90}
    # The invitation list carries it too.
    invitations = api.get(f"/api/v1/events/{event['id']}/invitations").json()["items"]
    assert {i["person"]["email"]: (i["attendance"] or {}).get("minutes") for i in invitations}[GULNARA] == 118


def test_teams_reports_as_utf16_text_and_as_a_workbook(api, db, scenario: Scenario):
    event = scenario.event
    # Anna was checked in at the room too (a hybrid event): the report adds her minutes online.
    checked = api.post(
        f"/api/v1/events/{event['id']}/check-in", json={"code": code_of(scenario.invitations[ANNA])}
    )
    assert checked.status_code == 201
    for name, file_format in (("teams_attendance.csv", "csv"), ("teams_attendance.xlsx", "xlsx")):
        response = _send(api, event, name)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["report_kind"], report["file_format"]) == ("teams", file_format)
        # The In-Meeting Activities (one row per join) are read, not the per-person summary.
        matched = {m["person"]["email"]: m["minutes"] for m in report["matched"]}
        assert matched == {ANNA: 112, LUC: 60}
        assert [u["row"]["email"] for u in report["unmatched"]] == ["organiser@example.org"]
    listed = {
        a["person"]["email"]: a for a in api.get(f"/api/v1/events/{event['id']}/attendance").json()["items"]
    }
    assert listed[ANNA]["source"] == "checked_in" and listed[ANNA]["minutes"] == 112
    assert listed[ANNA]["checked_in_at"] == checked.json()["checked_in_at"]
    assert listed[LUC]["source"] == "imported"
    # Imported twice: still one row per person.
    assert db.scalar(select(func.count()).select_from(EventAttendance)) == 2


def test_a_plain_csv_and_its_unreadable_rows(api, scenario: Scenario):
    report = _send(api, scenario.event, "plain_attendance.csv").json()
    assert report["report_kind"] == "plain"
    # Anna's two rows overlap by 15 minutes (times with offsets): 2 hours, not 2h15.
    assert {m["person"]["email"]: m["minutes"] for m in report["matched"]} == {ANNA: 120, IRINA: 20}
    unmatched = {u["row"]["row"]: u["reason"] for u in report["unmatched"]}
    assert unmatched[5].startswith("no invitee")
    assert unmatched[6] == "unreadable: it leaves before it joins"


def test_bad_files_are_refused_and_nothing_is_written(api, client_for, db, scenario: Scenario):
    event = scenario.event
    no_email = problem(_send(api, event, "zoom_without_email.csv"), 422, "file")
    assert "no email column" in no_email["detail"]
    photo = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, *range(256)] * 8)  # a PNG's start
    assert (
        "neither a spreadsheet nor text"
        in problem(_send(api, event, "photo.csv", content=photo), 422, "file")["detail"]
    )
    problem(_send(api, event, "blank.csv", content=b"\r\n  \r\n"), 422, "file")
    problem(
        _send(api, event, "notes.csv", content=b"Minutes of the round table\nNothing tabular here\n"), 422
    )
    problem(_send(api, event, "broken.xlsx", content=b"PK\x03\x04 not really a zip"), 422, "file")
    problem(_send(api, event, "old.xls", content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100), 422)
    problem(
        client_for(Role.FACILITATOR).post(
            f"/api/v1/events/{event['id']}/attendance/import",
            files={"file": ("z.csv", (FIXTURES / "zoom_participants.csv").read_bytes(), "text/csv")},
        ),
        403,
    )
    problem(api.post(f"/api/v1/events/{event['id']}/attendance/import", data={"other": "x"}), 400)
    assert db.scalar(select(func.count()).select_from(EventAttendance)) == 0


def test_statistics_count_check_ins_and_minutes_online(api, scenario: Scenario):
    event = scenario.event
    for email in (GULNARA, ANNA):
        code = code_of(scenario.invitations[email])
        assert api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": code}).status_code == 201
    assert _send(api, event, "teams_attendance.csv").status_code == 200  # Anna 112, Luc 60 minutes

    totals = api.get(f"/api/v1/events/{event['id']}/stats").json()["totals"]
    assert {k: totals[k] for k in ("attended", "checked_in", "online", "online_minutes")} == {
        "attended": 3,
        "checked_in": 2,
        "online": 2,
        "online_minutes": 172,
    }
    response = api.get(f"/api/v1/consultations/{scenario.consultation['id']}/stats.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content))["Events"].iter_rows(values_only=True))
    header, total = rows[0], rows[1]
    assert header[-3:] == ("checked in at the door", "in the online meeting", "Minutes online (all)")
    assert total[-3:] == (2, 2, 172)
