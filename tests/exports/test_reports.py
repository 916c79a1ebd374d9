"""Reports a ministry can file: labels in the reader's language, a human file name, printable DOCX and
XLSX (page setup, number and date formats, a chart), CSV for ``;`` locales, the source of each comment."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import unquote
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.shared import Cm
from openpyxl import load_workbook
from sqlalchemy import update

from consult.exports.labels import ENUM_LABELS
from consult.exports.matrix import COLUMNS
from consult.filenames import content_disposition
from consult.mail.i18n import gettext
from consult.rounds.models import Comment, CommentSource
from tests.exports.conftest import Scenario, export
from tests.exports.test_stats import make_event
from tests.helpers import problem

COL = {c.key: i for i, c in enumerate(COLUMNS)}
LABELLED = [c.key for c in COLUMNS if c.enum]
CODES = {code for group in ENUM_LABELS.values() for code in group}
TITLE = "First comment round on the strategy"
# Words in the reports whose translation differs from the English (French keeps "Source", "Section").
SAMPLE_ENGLISH = ["Consolidated feedback", "Whole draft", "Comments by decision", "Not answered yet"]


def english_labels(language: str) -> set[str]:
    """The English labels of codes and column headers that read differently in ``language``."""
    english = {label for group in ENUM_LABELS.values() for label in group.values()}
    english |= {c.header for c in COLUMNS if "%" not in c.header}
    return {text for text in english if gettext(language, text) != text}


def names(response) -> tuple[str, str]:
    """(filename*, filename) of the response's Content-Disposition."""
    header = response.headers["content-disposition"]
    assert "\r" not in header and "\n" not in header
    star = re.search(r"filename\*=UTF-8''([^;]+)", header)
    plain = re.search(r'filename="([^"]*)"', header)
    assert header.startswith("attachment;") and star and plain, header
    return unquote(star.group(1)), plain.group(1)


def today(zone: str = "UTC") -> str:
    """Today where the file is named: UTC unless the consultation has an event (its zone)."""
    return dt.datetime.now(ZoneInfo(zone)).date().isoformat()


@pytest.mark.parametrize("language", ["az", "ru", "fr"])
def test_every_label_is_in_the_language_asked_for(language: str, facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    english = english_labels(language)
    header, *rows = list(
        load_workbook(io.BytesIO(export(facilitator, rid, "xlsx", lang=language).content))
        .worksheets[1]
        .values
    )
    assert header[COL["kind"]] == gettext(language, "Comment kind")
    assert not set(header) & english
    for row in rows:
        for key in LABELLED:
            value = row[COL[key]]
            assert value not in CODES and value not in english, (key, value)
    desk = rows[5]
    assert desk[COL["kind"]] == gettext(language, "Amendment")
    assert desk[COL["decision"]] == gettext(language, "Accepted")
    assert desk[COL["source"]] == gettext(language, "Website")
    assert desk[COL["organisation_kind"]] == gettext(language, "Government")
    place = gettext(language, "version %(number)s, %(section)s") % {"number": 2, "section": "1.1.3 Action"}
    assert desk[COL["taken_up"]].startswith(place)

    text = export(facilitator, rid, "csv", lang=language).content.decode("utf-8-sig")
    csv_header, *csv_rows = list(csv.reader(io.StringIO(text)))
    assert csv_header == [str(h) for h in header]
    assert all(r[COL[key]] not in CODES | english for r in csv_rows for key in LABELLED)

    document = Document(io.BytesIO(export(facilitator, rid, "docx", lang=language).content))
    words = "\n".join(
        [p.text for p in document.paragraphs]
        + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    assert gettext(language, "Consolidated feedback") in words
    assert document.sections[0].footer.paragraphs[0].text.startswith(TITLE)
    for phrase in SAMPLE_ENGLISH + sorted(english - {"NGO"}):  # "Migrant Support NGO" is a name
        assert not re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", words), phrase
    # No code shown raw (the scenario's texts contain none of them).
    assert not re.search(r"\b(not_accepted|partially_accepted|public_agency|round_table|amendment)\b", words)


def test_the_language_defaults_to_the_drafts_and_bad_values_are_refused(facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    header = next(load_workbook(io.BytesIO(export(facilitator, rid, "xlsx").content)).worksheets[1].values)
    assert header[COL["kind"]] == "Comment kind"  # the draft is in English
    problem(facilitator.get(f"/api/v1/rounds/{rid}/export", params={"lang": "de"}), 422, "lang")
    problem(facilitator.get(f"/api/v1/rounds/{rid}/export", params={"delimiter": "tab"}), 422, "delimiter")


def test_the_file_is_named_after_the_round_and_the_day(facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    utf8, ascii_name = names(export(facilitator, rid, "xlsx"))
    assert utf8 == ascii_name == f"{TITLE} comments {today()}.xlsx"
    utf8, ascii_name = names(export(facilitator, rid, "docx", lang="ru"))
    assert utf8 == f"{TITLE} комментарии {today()}.docx"
    assert ascii_name == f"{TITLE} {today()}.docx"  # the Cyrillic word has no ASCII letters
    assert rid not in utf8


def test_a_file_name_cannot_break_the_header():
    header = content_disposition('Draft "v2"\r\nSet-Cookie: x=1/..\\secret.xlsx')
    assert "\r" not in header and "\n" not in header
    plain = re.search(r'filename="([^"]*)"', header)
    assert plain and plain.group(1) == "Draft v2 Set-Cookie x_1 .. secret.xlsx"
    star = re.search(r"filename\*=UTF-8''(\S+)$", header)
    assert star and unquote(star.group(1)) == "Draft v2 Set-Cookie x=1 .. secret.xlsx"
    assert content_disposition("...xlsx").endswith("filename*=UTF-8''export.xlsx")


def test_xlsx_prints_and_has_real_numbers_dates_and_a_chart(facilitator, db, scenario: Scenario):
    rid = scenario.round["id"]
    workbook = load_workbook(io.BytesIO(export(facilitator, rid, "xlsx").content))
    sheet = workbook["Comments"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    written = sheet.cell(2, COL["created_at"] + 1)
    assert isinstance(written.value, dt.datetime) and written.number_format == "yyyy-mm-dd hh:mm"
    first = db.get(Comment, UUID(scenario.id("formula0")))
    assert abs(written.value - first.created_at.astimezone(dt.UTC).replace(tzinfo=None)) < dt.timedelta(
        seconds=1
    )

    summary = workbook["Summary"]
    rate = next(c for row in summary.iter_rows() for c in row if c.number_format == "0%")
    assert rate.value == 1.0
    shares = [c for row in summary.iter_rows() for c in row if c.number_format == "0.0%"]
    assert shares and all(0 <= c.value <= 1 for c in shares)
    opens = [c for row in summary.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert len(opens) == 2 and opens[0].number_format == "yyyy-mm-dd hh:mm"
    (chart,) = summary._charts
    assert chart.type == "bar"
    assert chart.title.tx.rich.p[0].r[0].t == "Comments by kind of organisation"
    # The chart plots the table's counts against its labels.
    (series,) = chart.series

    def cells(formula: str) -> list:
        sheet_name, area = formula.rsplit("!", 1)
        return [row[0].value for row in workbook[sheet_name.strip("'")][area.replace("$", "")]]

    categories = series.cat.strRef or series.cat.numRef
    plotted = dict(zip(cells(categories.f), cells(series.val.numRef.f), strict=True))
    assert plotted == {
        "Government": 5,
        "Not shown (anonymous or no organisation)": 2,
        "International organisation": 1,
        "NGO": 1,
    }


def test_dates_are_in_the_consultations_zone(api, facilitator, db, scenario: Scenario):
    make_event(api, scenario.draft.document["consultation_id"])  # in Asia/Baku, UTC+4
    rid = scenario.round["id"]
    sheet = load_workbook(io.BytesIO(export(facilitator, rid, "xlsx", lang="az").content)).worksheets[1]
    assert sheet.cell(1, COL["created_at"] + 1).value == "Yazılıb (Bakı vaxtı)"  # noqa: RUF001
    first = db.get(Comment, UUID(scenario.id("formula0")))
    local = first.created_at.astimezone(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=4)
    assert abs(sheet.cell(2, COL["created_at"] + 1).value - local) < dt.timedelta(seconds=1)


def test_docx_is_a4_with_print_margins_and_a_summary(facilitator, scenario: Scenario):
    document = Document(io.BytesIO(export(facilitator, scenario.round["id"], "docx").content))
    cover, matrix = document.sections
    assert (round(cover.page_width.cm, 1), round(cover.page_height.cm, 1)) == (21.0, 29.7)
    assert (round(matrix.page_width.cm, 1), round(matrix.page_height.cm, 1)) == (29.7, 21.0)
    for section in document.sections:
        assert section.left_margin >= Cm(2) and section.right_margin >= Cm(2)
        assert section.top_margin >= Cm(2) and section.bottom_margin >= Cm(2)
    tables = document.tables
    by_source = [[c.text for c in row.cells] for row in tables[4].rows]
    assert by_source == [["Comments by source", "Count", "Share"], ["Website", "9", "100%"]]
    decisions = [[c.text for c in row.cells] for row in tables[3].rows]
    assert ["Not answered yet", "7", "78%"] in decisions
    widths = [column.width for column in tables[-1].columns]
    assert widths[2] == max(widths) and widths[3] > widths[1] > widths[0]  # the comment, then the answer
    assert sum(w for w in widths) <= matrix.page_width - matrix.left_margin - matrix.right_margin
    header = tables[-1].rows[0]._tr
    assert (
        header.trPr is not None
        and header.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader")
        is not None
    )


def test_csv_with_semicolons(facilitator, scenario: Scenario):
    response = export(facilitator, scenario.round["id"], "csv", delimiter="semicolon", lang="fr")
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 10 and all(len(r) == len(COLUMNS) for r in rows)
    assert rows[0][COL["text"]] == "Commentaire"
    assert rows[4][COL["text"]] == "'" + '=HYPERLINK("http://evil.example.org","click")'
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[1][COL["created_at"]])


def test_the_source_of_each_comment_is_shown(facilitator, db, scenario: Scenario):
    db.execute(
        update(Comment).where(Comment.id == UUID(scenario.id("anonymous"))).values(source=CommentSource.EMAIL)
    )
    db.execute(
        update(Comment).where(Comment.id == UUID(scenario.id("desk"))).values(source=CommentSource.WORD)
    )
    db.commit()
    rid = scenario.round["id"]
    _, *rows = (
        load_workbook(io.BytesIO(export(facilitator, rid, "xlsx", lang="ru").content)).worksheets[1].values
    )
    assert [r[COL["source"]] for r in rows[4:6]] == ["Электронная почта", "Файл Word"]
    document = Document(io.BytesIO(export(facilitator, rid, "docx").content))
    desk = document.tables[-1].rows[1].cells[1].text
    assert desk.endswith("\nWord file")
    json_rows = export(facilitator, rid, "json").json()["comments"]
    assert [r["source"] for r in json_rows[4:6]] == ["email", "word"]


def test_export_jobs_take_the_language_and_name_their_file(worker, facilitator, scenario: Scenario):
    from tests.exports.test_jobs import wait_done

    rid = scenario.round["id"]
    queued = facilitator.post(
        f"/api/v1/rounds/{rid}/exports", json={"format": "csv", "lang": "ru", "delimiter": "semicolon"}
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["language"] == "ru" and queued.json()["delimiter"] == "semicolon"
    job = wait_done(facilitator, queued.json()["id"])
    assert job["state"] == "done", job
    file = facilitator.get(f"/api/v1/exports/{job['id']}/file")
    assert names(file)[0] == f"{TITLE} комментарии {today()}.csv"
    header = next(csv.reader(io.StringIO(file.content.decode("utf-8-sig")), delimiter=";"))
    assert header[COL["kind"]] == "Вид комментария"
    problem(facilitator.post(f"/api/v1/rounds/{rid}/exports", json={"format": "csv", "lang": "xx"}), 422)


def test_statistics_workbook_in_a_language(api, scenario: Scenario):
    consultation_id = scenario.draft.document["consultation_id"]
    make_event(api, consultation_id)
    response = api.get(f"/api/v1/consultations/{consultation_id}/stats.xlsx", params={"lang": "fr"})
    assert response.status_code == 200, response.text
    # The event (in Baku) gives the consultation its zone: the date in the name is Baku's.
    assert (
        names(response)[0]
        == f"Migrant integration strategy 2026-2030 participation {today('Asia/Baku')}.xlsx"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Synthèse", "Événements", "Cycles"]
    events = workbook["Événements"]
    assert events.cell(1, 2).value.startswith("Début (") and "Bakou" in events.cell(1, 2).value
    assert events.print_title_rows == "$1:$1" and events.page_setup.orientation == "landscape"
    rounds = list(workbook["Cycles"].values)
    assert rounds[0][0] == "Cycle" and rounds[1][9] == 1.0
    assert workbook["Cycles"].cell(2, 10).number_format == "0%"


def test_the_options_are_documented(client_for):
    schema = client_for(None).get("/schema/openapi.json").json()
    export = schema["paths"]["/api/v1/rounds/{round_id}/export"]["get"]
    params = {p["name"]: p for p in export["parameters"]}
    assert params["lang"]["description"] and params["delimiter"]["description"]
    assert "Content-Disposition" in export["responses"]["200"]["headers"]
    stats = schema["paths"]["/api/v1/consultations/{consultation_id}/stats.xlsx"]["get"]
    assert "lang" in {p["name"] for p in stats["parameters"]}
