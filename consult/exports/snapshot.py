"""What the file writers read, and a matrix read to the end so a file can be written off the event
loop: the request's session cannot leave the loop, so the API reads the rows on it, then hands this
to a worker thread that builds the file (seconds of CPU for a few thousand comments in Word)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from consult.exports.labels import Labels
from consult.exports.matrix import ExportFilters, ExportOptions, Matrix, MatrixRow, RoundInfo, Summary


class MatrixSource(Protocol):
    """The round, the filters, the rows, and the summary the rows filled once they are consumed;
    how to write them (``options``: language, zone, CSV delimiter, resolved) and the texts."""

    @property
    def info(self) -> RoundInfo: ...

    @property
    def filters(self) -> ExportFilters: ...

    @property
    def summary(self) -> Summary: ...

    @property
    def options(self) -> ExportOptions: ...

    @property
    def labels(self) -> Labels: ...

    def rows(self) -> Iterator[MatrixRow]: ...


@dataclass(frozen=True)
class ReadMatrix:
    info: RoundInfo
    filters: ExportFilters
    summary: Summary
    all_rows: tuple[MatrixRow, ...]
    options: ExportOptions
    labels: Labels

    @classmethod
    def read(cls, matrix: Matrix) -> ReadMatrix:
        all_rows = tuple(matrix.rows())  # fills matrix.summary
        return cls(matrix.info, matrix.filters, matrix.summary, all_rows, matrix.options, matrix.labels)

    def rows(self) -> Iterator[MatrixRow]:
        return iter(self.all_rows)
