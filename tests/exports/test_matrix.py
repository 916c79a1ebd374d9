"""The comment-response matrix in every format, opened with the format's own library."""

from __future__ import annotations

import csv
import io
import json

from docx import Document
from openpyxl import load_workbook

from consult.exports.matrix import COLUMNS
from tests.exports.conftest import FORMULAS, Scenario, export, xlsx_rows
from tests.helpers import problem

HEADERS = [
    "No.",
    "Reply to",
    "Section",
    "Heading",
    "Quoted passage",
    "Organisation",
    "Kind of organisation",
    "Author",
    "Shown as",
    "Comment kind",
    "Source",
    "Comment",
    "Proposed text",
    "Written (UTC)",  # the consultation has no events: CONSULT_EXPORT_TIMEZONE
    "Decision",
    "Rationale",
    "Taken up in",
]
COL = {c.key: i for i, c in enumerate(COLUMNS)}


def by_column(rows: list, key: str) -> list:
    return [row[COL[key]] for row in rows]


def test_xlsx_matrix_in_draft_order_with_threads(facilitator, scenario: Scenario):
    response = export(facilitator, scenario.round["id"], "xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    header, *rows = xlsx_rows(response.content)
    assert list(header) == HEADERS
    # Whole-draft comments first, then 1.1 (written later), then 1.1.3 with its thread depth-first.
    assert by_column(rows, "number") == ["1", "2", "3", "4", "5", "6", "6.1", "6.1.1", "6.2"]
    assert by_column(rows, "section_number") == [
        None,
        None,
        None,
        "1.1",
        "1.1",
        "1.1.3",
        "1.1.3",
        "1.1.3",
        "1.1.3",
    ]
    assert by_column(rows, "reply_to") == [None] * 6 + ["6", "6.1", "6"]
    texts = by_column(rows, "text")
    # Formulas are neutralised with a leading single quote (OWASP), nothing else is changed.
    assert texts[:4] == ["'+1", "'@SUM(A1:A9)", "'-2", "'" + FORMULAS[0]]
    assert "Spam spam spam" not in texts and "I take this back" not in texts and "Rude words" not in texts
    desk = rows[5]
    assert desk[COL["quote"]] == "works in Azerbaijani, Russian and English"
    assert desk[COL["proposed_text"]] == "works in Azerbaijani, Russian, English, Farsi and Arabic"
    assert desk[COL["kind"]] == "Amendment" and desk[COL["source"]] == "Website"
    assert desk[COL["author"]] == "Gülnarə Şükürova"
    assert desk[COL["organisation"]] == "State Migration Service"
    assert desk[COL["organisation_kind"]] == "Government"
    assert desk[COL["decision"]] == "Accepted"
    assert desk[COL["rationale"]] == "Farsi and Arabic added."
    assert desk[COL["taken_up"]].startswith("version 2, 1.1.3 Action 1.1.3")
    assert desk[COL["section_heading"]].startswith("Action 1.1.3")
    assert rows[4][COL["rationale"]] is None  # the anonymous comment has no answer
    assert rows[3][COL["rationale"]] == "'-Out of scope"
    # Attribution: organisation only, then anonymous (neither name nor organisation nor its kind).
    org_only, anonymous = rows[6], rows[7]
    assert (org_only[COL["author"]], org_only[COL["organisation"]]) == (None, "Migrant Support NGO")
    assert (org_only[COL["attribution"]], anonymous[COL["attribution"]]) == ("Organisation only", "Anonymous")
    assert org_only[COL["text"]] == "Мы поддерживаем это предложение."
    assert anonymous[COL["author"]] is None and anonymous[COL["organisation"]] is None
    assert anonymous[COL["organisation_kind"]] is None
    assert rows[4][COL["author"]] is None and rows[4][COL["organisation"]] is None


def test_xlsx_layout_and_summary(facilitator, scenario: Scenario):
    content = export(facilitator, scenario.round["id"], "xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Summary", "Comments"]
    sheet = workbook["Comments"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(COLUMNS)).column_letter}10"
    assert sheet.cell(2, COL["text"] + 1).alignment.wrap_text
    assert sheet.cell(9, COL["text"] + 1).alignment.indent == 2  # a reply to a reply
    assert sheet.column_dimensions[sheet.cell(1, COL["text"] + 1).column_letter].width == 60
    cells = [c for row in workbook["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert cells[0] == "First comment round on the strategy"
    assert "Comments by section" in cells and "Comments by decision" in cells
    # Invited organisations: 3 (the expert has none); all three commented.
    assert "3 of 3 invited organisations commented" in cells
    summary = workbook["Summary"]
    lines = {row[1]: row[2] for row in summary.iter_rows(values_only=True) if len(row) > 2 and row[1]}
    assert lines["Whole draft"] == 3
    assert lines["Accepted"] == 1 and lines["Not accepted"] == 1 and lines["Not answered yet"] == 7
    assert lines["Government"] == 5  # Gülnarə and Rauf's four (the replies included)
    assert lines["Website"] == 9


def test_csv_has_a_bom_and_neutralised_cells(facilitator, scenario: Scenario):
    response = export(facilitator, scenario.round["id"], "csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    body = rows[1:]
    assert [r[COL["number"]] for r in body] == ["1", "2", "3", "4", "5", "6", "6.1", "6.1.1", "6.2"]
    assert [r[COL["text"]] for r in body[:4]] == ["'+1", "'@SUM(A1:A9)", "'-2", "'" + FORMULAS[0]]
    assert body[5][COL["author"]] == "Gülnarə Şükürova"
    assert body[6][COL["text"]] == "Мы поддерживаем это предложение."
    assert not any(r[COL["text"]] in ("Spam spam spam", "I take this back", "Rude words") for r in body)


def test_json_has_the_same_rows_raw(facilitator, scenario: Scenario):
    data = json.loads(export(facilitator, scenario.round["id"], "json").content)
    assert data["round"]["title"] == "First comment round on the strategy"
    rows = data["comments"]
    assert [r["number"] for r in rows] == ["1", "2", "3", "4", "5", "6", "6.1", "6.1.1", "6.2"]
    assert rows[0]["text"] == "+1"  # data for tools: not a spreadsheet, nothing to neutralise
    assert rows[5]["comment_id"] == scenario.id("desk")
    assert rows[7]["author"] is None and rows[7]["attribution"] == "anonymous"
    # Codes, not labels, for programs.
    assert (rows[5]["kind"], rows[5]["decision"], rows[5]["source"]) == ("amendment", "accepted", "web")
    assert rows[5]["organisation_kind"] == "government"
    assert data["summary"]["by_decision"] == {"accepted": 1, "not_accepted": 1, "unanswered": 7}
    assert data["summary"]["comments"] == 9 and data["summary"]["replies"] == 3
    assert data["summary"]["organisations_that_did_not_comment"] == []
    assert data["summary"]["response_rate"] == 1.0


def test_docx_report_follows_the_draft(facilitator, scenario: Scenario):
    response = export(facilitator, scenario.round["id"], "docx")
    document = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Consolidated feedback"
    assert "First comment round on the strategy" in paragraphs
    figures = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert figures[0] == ["Figure", "Count", "Share"]
    assert figures[1][:2] == ["Comments and replies exported", "9"]
    assert figures[2] == ["Top-level comments", "6", "67%"]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:5] == [
        "Figures",
        "Comments by section",
        "Comments by kind of organisation",
        "Comments by decision",
        "Comments by source",
    ]
    headings = headings[5:]
    assert headings[0] == "Whole draft"
    assert headings.index("1.1 Objective 1.1 — Recognition of qualifications") < headings.index(
        "1.1.3 Action 1.1.3 — One-stop information desk at the State Employment Agency"
    )
    assert "2 Pillar 2 — Housing, social and legal assistance, and health" in headings  # no comments
    # The summary's tables (figures, sections, kinds of organisation, decisions, sources), then the
    # matrix: whole draft, 1.1, 1.1.3.
    assert len(document.tables) == 8
    tables = document.tables[5:]
    desk = [[c.text for c in row.cells] for row in tables[2].rows]
    assert [r[0] for r in desk] == ["No.", "6", "6.1", "6.1.1", "6.2"]
    assert "Gülnarə Şükürova" in desk[1][1] and "Farsi and Arabic" in desk[1][2]
    assert desk[1][3].startswith("Accepted\nFarsi and Arabic added.")
    assert desk[3][1] == "Anonymous\nWebsite"
    text = "\n".join(c.text for t in tables for row in t.rows for c in row.cells)
    assert "Spam spam spam" not in text and "I take this back" not in text


def test_filters(facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    desk_key = scenario.draft.section("1.1.3")["key"]

    def numbers(**params) -> list[str]:
        rows = json.loads(export(facilitator, rid, "json", **params).content)["comments"]
        return [r["comment_id"] for r in rows]

    desk_thread = [scenario.id(n) for n in ("desk", "desk_reply", "desk_reply_reply", "desk_second_reply")]
    assert numbers(section_key=desk_key) == desk_thread
    assert numbers(decision="accepted") == desk_thread
    assert numbers(decision="not_accepted") == [scenario.id("recognition")]
    # Organisation filters never find anonymous comments (that would name their organisation).
    assert numbers(organisation_kind="ngo") == desk_thread
    assert numbers(organisation_kind="international") == [scenario.id("recognition")]
    created = scenario.comments["recognition"]["created_at"]
    assert scenario.id("desk") not in numbers(**{"from": created})
    assert numbers(**{"to": created}) == [*desk_thread]
    problem(facilitator.get(f"/api/v1/rounds/{rid}/export", params={"from": "yesterday"}), 422, "from")
    problem(facilitator.get(f"/api/v1/rounds/{rid}/export", params={"format": "pdf"}), 422, "format")


def test_who_may_export(client_for, organiser, link_for, scenario: Scenario):
    rid = scenario.round["id"]
    stakeholder = link_for(rid, scenario.directory.person("g.shukurova@migration.example.org"))
    problem(stakeholder.get(f"/api/v1/rounds/{rid}/export"), 403)
    problem(stakeholder.post(f"/api/v1/rounds/{rid}/exports", json={"format": "csv"}), 403)
    # Organisers read (download), facilitators and admins also queue jobs.
    assert organiser.get(f"/api/v1/rounds/{rid}/export", params={"format": "csv"}).status_code == 200
    problem(organiser.post(f"/api/v1/rounds/{rid}/exports", json={"format": "csv"}), 403)
    from consult.auth.models import Role

    assert client_for(Role.ADMIN).get(f"/api/v1/rounds/{rid}/export").status_code == 200
    problem(client_for(None).get(f"/api/v1/rounds/{rid}/export"), 401)
    problem(organiser.get("/api/v1/rounds/0190f5e0-0000-7000-8000-000000000000/export"), 404)
