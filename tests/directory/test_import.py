"""POST /api/v1/people/import over real HTTP, checked through the directory API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from consult.auth.models import Role
from consult.settings import get_settings
from tests.directory.files import docx_bytes, xlsx_bytes
from tests.helpers import problem

HEADER = ["Full name", "E-mail", "Organisation", "Kind", "Position", "Language", "Time zone"]
PEOPLE = [
    ["Gülnarə Şükürova", "G.Shukurova@Migration.gov.az", "State Migration Service", "government", "Head of integration unit", "az", "Asia/Baku"],
    ["Ирина Петрова", "i.petrova@example.org", "Legal Aid Centre", "NGO", "", "ru", "Europe/Vienna"],
    ["Əli Məmmədov", "ali.mammadov@example.az", "legal aid centre", "", "Lawyer", "", ""],
]  # fmt: skip


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", bom: bool = True) -> bytes:
    text = "\r\n".join(delimiter.join(cells) for cells in rows) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def upload(
    client: httpx.Client, content: bytes, filename: str = "people.csv", **params: str
) -> httpx.Response:
    return client.post("/api/v1/people/import", files={"file": (filename, content)}, params=params)


def people_by_email(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {p["email"]: p for p in api.get("/api/v1/people", params={"limit": 100}).json()["items"]}


def organisations_by_name(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in api.get("/api/v1/organisations", params={"limit": 100}).json()["items"]}


def statuses(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [(r["row"], r["status"]) for r in report["rows"]]


def rejections(report: dict[str, Any]) -> dict[int, list[str]]:
    return {r["row"]: [e["field"] for e in r["errors"]] for r in report["rows"] if r["status"] == "rejected"}


@pytest.mark.parametrize(
    ("delimiter", "bom"),
    [(";", True), (",", True), (",", False)],
    ids=["semicolon-bom", "comma-bom", "comma"],
)
def test_excel_csv_creates_people_and_organisations_with_names_intact(api, delimiter, bom):
    response = upload(api, csv_bytes([HEADER, *PEOPLE], delimiter=delimiter, bom=bom))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["file_format"] == "csv"
    assert report["written"] is True
    assert report["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report["organisations_created"] == ["State Migration Service", "Legal Aid Centre"]
    assert statuses(report) == [(2, "created"), (3, "created"), (4, "created")]

    organisations = organisations_by_name(api)
    assert {name: o["kind"] for name, o in organisations.items()} == {
        "State Migration Service": "government",
        "Legal Aid Centre": "ngo",
    }
    people = people_by_email(api)
    gulnara = people["g.shukurova@migration.gov.az"]
    assert gulnara["full_name"] == "Gülnarə Şükürova"
    assert (gulnara["language"], gulnara["timezone"]) == ("az", "Asia/Baku")
    assert gulnara["organisation_id"] == organisations["State Migration Service"]["id"]
    assert gulnara["id"] == report["rows"][0]["person_id"]
    irina = people["i.petrova@example.org"]
    assert (irina["full_name"], irina["position"]) == ("Ирина Петрова", None)
    ali = people["ali.mammadov@example.az"]
    assert ali["full_name"] == "Əli Məmmədov"
    assert (ali["language"], ali["timezone"]) == ("en", "UTC")  # blank cells take the defaults
    assert ali["organisation_id"] == irina["organisation_id"] == organisations["Legal Aid Centre"]["id"]
    assert api.get("/api/v1/people", params={"q": "şükür"}).json()["total"] == 1


def test_xlsx_from_excel(api):
    content = xlsx_bytes(
        [
            ["Name", "Email", "Organization", "Organisation kind", "Phone"],
            [
                "Ирина Петрова",
                "I.Petrova@Example.org",
                "EU Delegation to Azerbaijan",
                "International",
                123456,
            ],
            [None, None, None, None, None],
            ["Gülnarə Şükürova", "g.shukurova@migration.gov.az", None, None, None],
        ]
    )
    response = upload(api, content, filename="Stakeholders.xlsx")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["file_format"] == "xlsx"
    assert report["unknown_columns"] == ["Phone"]
    assert statuses(report) == [(2, "created"), (4, "created")]
    people = people_by_email(api)
    assert people["i.petrova@example.org"]["full_name"] == "Ирина Петрова"
    assert people["g.shukurova@migration.gov.az"]["organisation_id"] is None
    assert organisations_by_name(api)["EU Delegation to Azerbaijan"]["kind"] == "international"


def test_existing_people_are_updated_and_organisations_matched_regardless_of_case(api):
    sms = api.post(
        "/api/v1/organisations", json={"name": "State Migration Service", "kind": "government"}
    ).json()
    existing = api.post(
        "/api/v1/people",
        json={
            "full_name": "Gulnara Shukurova",
            "email": "g.shukurova@migration.gov.az",
            "language": "az",
            "timezone": "Asia/Baku",
        },
    ).json()
    rows = [
        ["name", "email", "organisation", "position", "language"],
        # No kind needed: the organisation exists. The blank language keeps "az".
        ["Gülnarə Şükürova", "G.SHUKUROVA@migration.gov.az", "STATE MIGRATION service", "Head of unit", ""],
    ]
    first = upload(api, csv_bytes(rows))
    assert first.status_code == 200, first.text
    assert first.json()["counts"] == {"created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    assert first.json()["organisations_created"] == []
    assert first.json()["rows"][0]["person_id"] == existing["id"]

    person = api.get(f"/api/v1/people/{existing['id']}").json()
    assert person["full_name"] == "Gülnarə Şükürova"
    assert (person["organisation_id"], person["position"]) == (sms["id"], "Head of unit")
    assert (person["language"], person["timezone"]) == ("az", "Asia/Baku")
    assert api.get("/api/v1/organisations").json()["total"] == 1

    again = upload(api, csv_bytes(rows)).json()
    assert statuses(again) == [(2, "unchanged")]


def test_dry_run_reports_what_would_happen_and_writes_nothing(api):
    response = upload(api, csv_bytes([HEADER, *PEOPLE]), dry_run="true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["written"]) == (True, False)
    assert report["counts"]["created"] == 3
    assert report["organisations_created"] == ["State Migration Service", "Legal Aid Centre"]
    assert all(r["person_id"] is None for r in report["rows"])
    assert api.get("/api/v1/people").json()["total"] == 0
    assert api.get("/api/v1/organisations").json()["total"] == 0


BAD_ROWS = [
    HEADER,
    PEOPLE[0],
    ["", "no-name@example.org", "", "", "", "", ""],  # row 3: name missing
    ["Ирина Петрова", "not-an-address", "", "", "", "de", "Baku"],  # row 4: three fields at fault
    ["Duplicate", "g.shukurova@MIGRATION.gov.az", "", "", "", "", ""],  # row 5: same email as row 2
    ["Nadir Əliyev", "n.aliyev@example.az", "Nowhere Institute", "", "", "", ""],  # row 6: new org, no kind
    ["Ali Mammadov", "ali@example.az", "Confederation of Employers", "church", "", "", ""],  # row 7: bad kind
    PEOPLE[1],
]
BAD_ROW_FIELDS = {
    3: ["full_name"],
    4: ["email", "language", "timezone"],
    5: ["email"],
    6: ["kind"],
    7: ["kind"],
}


def test_a_file_with_invalid_rows_writes_nothing_and_reports_every_row(api):
    response = upload(api, csv_bytes(BAD_ROWS))
    body = problem(response, 422)
    assert "skip_invalid" in body["detail"]
    report = body["report"]
    assert report["written"] is False
    assert rejections(report) == BAD_ROW_FIELDS
    assert statuses(report)[0] == (2, "created")  # what the valid rows would have done
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 5}
    assert api.get("/api/v1/people").json()["total"] == 0
    assert api.get("/api/v1/organisations").json()["total"] == 0

    # A dry run answers the same as the real run would.
    dry = problem(upload(api, csv_bytes(BAD_ROWS), dry_run="true"), 422)
    assert rejections(dry["report"]) == BAD_ROW_FIELDS


def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(api):
    response = upload(api, csv_bytes(BAD_ROWS), skip_invalid="true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["written"] is True
    assert rejections(report) == BAD_ROW_FIELDS
    assert [r["row"] for r in report["rows"]] == [2, 3, 4, 5, 6, 7, 8]
    duplicate = next(r for r in report["rows"] if r["row"] == 5)
    assert "row 2" in duplicate["errors"][0]["reason"]
    assert report["organisations_created"] == ["State Migration Service", "Legal Aid Centre"]
    assert sorted(people_by_email(api)) == ["g.shukurova@migration.gov.az", "i.petrova@example.org"]
    assert sorted(organisations_by_name(api)) == ["Legal Aid Centre", "State Migration Service"]


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (b"", "people.csv", "empty"),
        (bytes(range(256)) * 8, "people.csv", "CSV UTF-8"),
        ("Ad;E-poçt\nŞükürova;s@example.org\n".encode("cp1254"), "people.csv", "CSV UTF-8"),
        (docx_bytes(), "people.xlsx", "Word document"),
        (b"PK\x03\x04" + bytes(range(256)), "people.xlsx", "Excel"),
        (xlsx_bytes([]), "people.xlsx", "no header row"),
        (b"Telefon;Adres\n123;Baku\n", "people.csv", "no name and email column"),
    ],
    ids=["empty", "random-bytes", "windows-1254", "docx", "broken-zip", "empty-workbook", "no-known-columns"],
)
def test_unreadable_files_are_a_problem_not_a_crash(api, content, filename, reason):
    body = problem(upload(api, content, filename=filename), 422, "file")
    assert reason in body["errors"][0]["reason"]


def test_upload_without_a_file_field_names_it(api):
    problem(
        api.post("/api/v1/people/import", files={"attachment": ("people.csv", b"name,email\n")}), 422, "file"
    )


def test_files_over_the_limit_are_refused(api):
    limit = get_settings().uploads.import_max_bytes
    just_over = b"name,email\n" + b"x" * limit
    body = problem(upload(api, just_over), 413, "file")
    assert f"{limit:,}" in body["detail"]
    problem(upload(api, just_over * 2), 413)  # refused by Litestar before it is read
    assert api.get("/api/v1/people").json()["total"] == 0


def test_facilitators_may_not_import(client_for):
    facilitator = client_for(Role.FACILITATOR)
    problem(upload(facilitator, csv_bytes([HEADER, PEOPLE[0]])), 403)
    admin = client_for(Role.ADMIN)
    assert upload(admin, csv_bytes([HEADER, PEOPLE[0]])).status_code == 200
