"""Exports of a questionnaire's responses over real HTTP: XLSX with a chart per choice question,
CSV and JSON, labels in the chosen language, formulas neutralised, filters applied."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from openpyxl import load_workbook

from tests.helpers import problem
from tests.questionnaires.test_results import assessed

__all__ = ["assessed"]


def test_xlsx_has_a_row_per_response_and_a_chart_per_choice_question(assessed, staff) -> None:
    qid = assessed["questionnaire"]["id"]
    response = staff.get(f"/api/v1/questionnaires/{qid}/export", params={"format": "xlsx", "lang": "az"})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert 'filename="Assessment-v1-az.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Assessment-v1-az.xlsx"
    workbook = load_workbook(io.BytesIO(response.content))
    summary, sheet = workbook.worksheets
    assert summary.title == "Xülasə" and sheet.title == "Cavablar"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("Cavab", "Göndərilib", "Təşkilat")
    # choice, 3 options + other, scale, number, 2 matrix rows, long text
    assert header[6] == "Xidmətlər?"
    assert header[7] == "Gaps? (az): Staff (az)"
    assert header[10] == "Gaps? (az): digər"
    assert len(header) == 6 + 1 + 4 + 1 + 1 + 2 + 1
    assert len(rows) == 1 + 9  # submitted only
    by_org = {row[2]: row for row in rows[1:]}
    gov1 = by_org["Gov1"]
    assert gov1[5] == "Focal point of Gov1" and gov1[6] == "Yes (az)"
    assert gov1[7:11] == (1, 1, None, None)
    assert gov1[11:] == (4, 10, 3, 1, "Need training")
    assert by_org["Gov2"][5] is None  # attributed to the organisation only
    anonymous = by_org[None]
    assert anonymous[15] == "'=HYPERLINK(x)"  # a formula is text
    assert len(summary._charts) == 3  # services, gaps, ready
    labels = [row[0] for row in summary.iter_rows(values_only=True) if row and row[0]]
    assert "Yes (az)" in labels and "Staff (az)" in labels


def test_csv_and_json_with_a_filter(assessed, staff) -> None:
    qid = assessed["questionnaire"]["id"]
    response = staff.get(
        f"/api/v1/questionnaires/{qid}/export",
        params={"format": "csv", "lang": "fr", "organisation_kind": "ngo"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Réponse", "Soumise le"]
    assert sorted(row[4] for row in rows[1:]) == ["AZ", "GE", "GE"]
    assert "'=HYPERLINK(x)" in [row[15] for row in rows[1:]]

    body = staff.get(
        f"/api/v1/questionnaires/{qid}/export", params={"format": "json", "lang": "ru", "country": "FR"}
    ).json()
    assert body["columns"][0] == "Ответ"
    assert sorted(row[2] for row in body["rows"]) == ["Int1", "Int2"]

    problem(staff.get(f"/api/v1/questionnaires/{qid}/export", params={"format": "pdf"}), 422)
    problem(staff.get(f"/api/v1/questionnaires/{qid}/export", params={"lang": "de"}), 422)
