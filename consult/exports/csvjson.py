"""The matrix as CSV (UTF-8 with a BOM, so Excel reads Azerbaijani and Cyrillic text right) and as
JSON (the same rows, the round and the summary, for other tools). Both are written as the rows come."""

from __future__ import annotations

import csv
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
        writer = csv.writer(text)
        writer.writerow([column.header for column in COLUMNS])
        count = 0
        for row in matrix.rows():
            writer.writerow([neutralise(value) for value in cell_values(row)])
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
    return count


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
        "columns": [{"key": c.key, "header": c.header} for c in COLUMNS],
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
