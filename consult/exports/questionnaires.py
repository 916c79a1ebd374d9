# ruff: noqa: RUF001 - labels in Azerbaijani and Russian
"""A questionnaire's responses as XLSX, CSV or JSON, with labels in a chosen language.

One row per submitted response of one version (the results' version and filters), one column per
question, per option of a multiple choice (1 when ticked) and per row of a matrix. Who answered
follows the respondent's attribution choice, as in the results. The rows are read with a
server-side cursor in chunks (``yield_per``) and written as they come: the XLSX in openpyxl's
write-only mode (rows go to a temporary file, not memory), CSV and JSON straight to the response, so
memory stays flat however many responses there are. The XLSX's summary sheet holds the results
(computed in the database) with a native bar chart per choice, multiple-choice and scale question.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import IO, Any
from uuid import UUID

import anyio
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.ext.asyncio import AsyncSession

from consult.crud import get_or_404
from consult.directory.models import Organisation, Person
from consult.exports.cells import spreadsheet_cell
from consult.questionnaires.definition import decode_definition, questions
from consult.questionnaires.models import Questionnaire, QuestionnaireResponse, QuestionnaireVersion
from consult.questionnaires.results import Filters, Results, ResultsService, submitted_responses
from consult.questionnaires.schemas import Definition, Question, QuestionKind

CHUNK_ROWS = 2_000
CHARTED = (QuestionKind.CHOICE, QuestionKind.MULTIPLE, QuestionKind.SCALE)
_BOLD = Font(bold=True)

# Column headings of the respondent columns, per language.
META = {
    "en": ("Response", "Submitted at", "Organisation", "Kind of organisation", "Country", "Person"),
    "fr": ("Réponse", "Soumise le", "Organisation", "Type d'organisation", "Pays", "Personne"),
    "ru": ("Ответ", "Отправлен", "Организация", "Тип организации", "Страна", "Лицо"),
    "az": ("Cavab", "Göndərilib", "Təşkilat", "Təşkilatın növü", "Ölkə", "Şəxs"),
}
OTHER = {"en": "other", "fr": "autre", "ru": "другое", "az": "digər"}
SUMMARY = {"en": "Summary", "fr": "Synthèse", "ru": "Сводка", "az": "Xülasə"}
RESPONSES = {"en": "Responses", "fr": "Réponses", "ru": "Ответы", "az": "Cavablar"}


@dataclass(frozen=True)
class Column:
    heading: str
    value: Callable[[dict[str, Any]], Any]  # answers -> cell value


def _columns(definition: Definition, lang: str) -> list[Column]:
    columns: list[Column] = []
    for q in questions(definition):
        title = q.text.get(lang)
        columns += _question_columns(q, title, lang)
    return columns


def _question_columns(q: Question, title: str, lang: str) -> list[Column]:
    key = q.key
    if q.kind == QuestionKind.CHOICE:
        labels = {o.key: o.label.get(lang) for o in q.options}
        return [Column(title, lambda a: labels.get(a[key], a[key]) if key in a else None)]
    if q.kind == QuestionKind.MULTIPLE:
        out = [Column(f"{title}: {o.label.get(lang)}", _ticked(key, o.key)) for o in q.options]
        if q.other:
            out.append(Column(f"{title}: {OTHER[lang]}", lambda a: (a.get(key) or {}).get("other")))
        return out
    if q.kind == QuestionKind.MATRIX:
        return [Column(f"{title}: {row.label.get(lang)}", _row(key, row.key)) for row in q.rows]
    return [Column(title, lambda a: a.get(key))]


def _ticked(key: str, option: str) -> Callable[[dict[str, Any]], Any]:
    return lambda a: 1 if option in ((a.get(key) or {}).get("options") or ()) else None


def _row(key: str, row: str) -> Callable[[dict[str, Any]], Any]:
    return lambda a: (a.get(key) or {}).get(row)


def _who(row: Any) -> tuple[str | None, str | None]:
    """Organisation and person as the respondent chose to be named."""
    if row.attribution == "anonymous":
        return None, None
    return row.organisation, row.person if row.attribution == "named" else None


def _values(row: Any, columns: list[Column]) -> list[Any]:
    organisation, person = _who(row)
    submitted = row.submitted_at.replace(tzinfo=None) if row.submitted_at else None
    answers = row.answers or {}
    return [
        str(row.id),
        submitted,
        organisation,
        row.organisation_kind,
        row.country,
        person,
        *(column.value(answers) for column in columns),
    ]


@dataclass
class ExportSource:
    """What an export reads: the version, its columns, and the rows in chunks."""

    session: AsyncSession
    questionnaire: Questionnaire
    version: QuestionnaireVersion
    filters: Filters
    lang: str
    columns: list[Column]

    @classmethod
    async def open(
        cls,
        session: AsyncSession,
        questionnaire_id: UUID,
        version_number: int | None,
        filters: Filters,
        lang: str,
    ) -> ExportSource:
        questionnaire = await get_or_404(session, Questionnaire, questionnaire_id, "questionnaire")
        version, _ = await ResultsService(session).version_of(questionnaire, version_number)
        columns = _columns(decode_definition(version.definition), lang)
        return cls(session, questionnaire, version, filters, lang, columns)

    @property
    def headings(self) -> list[str]:
        return [*META[self.lang], *(c.heading for c in self.columns)]

    async def chunks(self) -> AsyncIterator[list[list[Any]]]:
        r = QuestionnaireResponse
        statement = submitted_responses(self.version, self.filters).with_only_columns(
            r.id,
            r.submitted_at,
            r.organisation_kind,
            r.country,
            r.attribution,
            r.answers,
            Organisation.name.label("organisation"),
            Person.full_name.label("person"),
        )
        result = await self.session.stream(statement.execution_options(yield_per=CHUNK_ROWS))
        async for partition in result.partitions(CHUNK_ROWS):
            yield [_values(row, self.columns) for row in partition]

    def file_name(self, extension: str) -> str:
        return f"{self.questionnaire.name}-v{self.version.number}-{self.lang}.{extension}"


async def write_xlsx(source: ExportSource, out: IO[bytes]) -> int:
    """The workbook into ``out``; rows are appended off the event loop a chunk at a time."""
    results = await ResultsService(source.session).results(
        source.questionnaire.id, source.version.number, source.filters
    )
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(SUMMARY[source.lang])
    sheet = workbook.create_sheet(RESPONSES[source.lang])
    sheet.freeze_panes = "A2"
    sheet.append([spreadsheet_cell(h) for h in source.headings])
    count = 0

    def append(chunk: list[list[Any]]) -> None:
        for values in chunk:
            sheet.append([spreadsheet_cell(v) for v in values])

    async for chunk in source.chunks():
        await anyio.to_thread.run_sync(append, chunk)
        count += len(chunk)
    definition = decode_definition(source.version.definition)
    await anyio.to_thread.run_sync(_write_summary, summary, definition, results, source.lang)
    await anyio.to_thread.run_sync(workbook.save, out)
    return count


def _write_summary(sheet: WriteOnlyWorksheet, definition: Definition, results: Results, lang: str) -> None:
    """Per charted question a table (label, count) and a bar chart of it; the rows are counted so
    that each chart can reference its table and sit beside it."""
    sheet.column_dimensions["A"].width = 50
    line = 0

    def append(values: list[Any], bold: bool = False) -> None:
        nonlocal line
        sheet.append([spreadsheet_cell(v) for v in values])
        line += 1

    append([definition.title.get(lang)])
    append([RESPONSES[lang], results.responses])
    if results.response_rate is not None and results.response_rate.rate is not None:
        append(["%", round(results.response_rate.rate * 100, 1)])
    found = {r.key: r for r in results.questions}
    for q in questions(definition):
        result = found.get(q.key)
        if q.kind not in CHARTED or result is None or not result.counts:
            continue
        append([])
        first = line + 1
        append([q.text.get(lang), RESPONSES[lang]])
        labels = {o.key: o.label.get(lang) for o in q.options}
        for count in result.counts:
            append([labels.get(count.key, count.key), count.count])
        chart = BarChart()
        chart.type = "bar"
        chart.title = q.text.get(lang)[:250]
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=2, min_row=first, max_row=line), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=first + 1, max_row=line))
        chart.height = max(5.0, 0.6 * len(result.counts) + 2)
        sheet.add_chart(chart, f"D{first}")
        for _ in range(max(0, int(chart.height / 0.5) - len(result.counts))):
            append([])  # room for the chart before the next table


async def csv_lines(source: ExportSource) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with the mark
    writer.writerow([spreadsheet_cell(h) for h in source.headings])
    yield flush()
    async for chunk in source.chunks():
        for values in chunk:
            writer.writerow([_csv_value(v) for v in values])
        yield flush()


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return spreadsheet_cell(value)


async def json_lines(source: ExportSource) -> AsyncIterator[bytes]:
    """A JSON document {"columns": [...], "rows": [[...], ...]}, written a chunk at a time."""
    yield b'{"columns":' + json.dumps(source.headings, ensure_ascii=False).encode() + b',"rows":['
    first = True
    async for chunk in source.chunks():
        for values in chunk:
            encoded = json.dumps(values, ensure_ascii=False, default=_json_default).encode()
            yield encoded if first else b"," + encoded
            first = False
    yield b"]}"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value))
