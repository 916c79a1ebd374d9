"""The matrix as CSV (UTF-8 with a BOM, so Excel reads Azerbaijani and Cyrillic text right) and as
JSON (the same rows, the round and the summary, for other tools). Both are written as the rows come.

CSV is for people opening it in a spreadsheet: headers and values in the export's language, times in
its zone, ``,`` or ``;`` between values (``delimiter=semicolon``: Excel where the list separator is
``;``, as in az, ru and fr locales). JSON is for programs: codes, UTC times, English keys; the
columns' translated headers are given next to their keys."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import IO, Any

from consult.exports.cells import neutralise
from consult.exports.matrix import COLUMNS, cell_values, json_row
from consult.exports.snapshot import MatrixSource

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000


def write_csv(matrix: MatrixSource, out: IO[bytes], progress: Progress | None = None) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, delimiter=matrix.options.delimiter)
        labels = matrix.labels
        writer.writerow([column.title(labels) for column in COLUMNS])
        count = 0
        for row in matrix.rows():
            writer.writerow([neutralise(_text(value)) for value in cell_values(row, labels)])
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
    return count


def _text(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def write_json(matrix: MatrixSource, out: IO[bytes], progress: Progress | None = None) -> int:
    info = matrix.info
    head = {
        "round": {
            "id": str(info.round_id),
            "title": info.title,
            "document_title": info.document_title,
            "version_number": info.version_number,
            "opens_at": info.opens_at.isoformat(),
            "closes_at": info.closes_at.isoformat(),
        },
        "filters": matrix.filters.to_json(),
        "language": matrix.labels.language,
        "columns": [{"key": c.key, "header": c.title(matrix.labels)} for c in COLUMNS],
    }
    out.write(_dumps(head)[:-1].encode())
    out.write(b', "comments": [')
    count = 0
    for row in matrix.rows():
        out.write((", " if count else "").encode() + _dumps(json_row(row)).encode())
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    out.write(b'], "summary": ' + _dumps(matrix.summary.to_json(info)).encode() + b"}")
    return count
