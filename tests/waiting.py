"""Waiting on state instead of on the clock.

``wait_until`` polls a condition until it holds. To check that something does *not* happen (no
second email, no reminder yet), a test first waits for a positive sign that the system has done
all it was going to do, ``WorkerProcess.settle`` in tests/conftest.py, then asserts: a fixed
sleep would pass too early on a slow machine and miss a late duplicate.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine, func, select

from consult.mail.models import OutboundEmail, OutboxState

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], what: str, timeout: float = 30.0, interval: float = 0.1) -> T:
    """The first truthy value ``predicate`` returns; fails naming ``what`` (and the last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout}s for {what}; last seen: {value!r}")
        time.sleep(interval)


# --- what the worker has done, from its log ----------------------------------------------------------

# Celery logs every task at INFO: "Task consult.scan_rounds[<id>] received", then
# "... succeeded in 0.01s: 0", "... raised unexpected: ..." or "... retry: ...".
_TASK_LINE = re.compile(rb"Task ([\w.]+)\[([\w-]+)\] (received|succeeded|raised|retry|failed)")


@dataclass
class TaskRun:
    name: str
    received_at: int  # offset of the "received" line in the worker's log
    finished: bool = False


def task_runs(log: bytes, offset: int) -> list[TaskRun]:
    """The tasks a worker received, in order, with whether each has finished (``log`` starts at ``offset``)."""
    runs: dict[bytes, TaskRun] = {}
    for match in _TASK_LINE.finditer(log):
        name, task_id, event = match.groups()
        if event == b"received":
            runs[task_id] = TaskRun(name.decode(), offset + match.start())
        elif task_id in runs:
            runs[task_id].finished = True
    return list(runs.values())


def caught_up(runs: Iterable[TaskRun], marker: int, scans: Iterable[str]) -> bool:
    """Every task received before ``marker`` has finished, and each of ``scans`` (beat tasks) has
    run from start to end after it: whatever they would queue has been queued."""
    runs = list(runs)
    earlier_done = all(run.finished for run in runs if run.received_at < marker)
    scanned = all(
        any(run.name == scan and run.received_at >= marker and run.finished for run in runs) for scan in scans
    )
    return earlier_done and scanned


def outbox_waiting(engine: Engine) -> int:
    """Outbox rows not yet sent or given up (pending, or claimed by a worker)."""
    with engine.connect() as connection:
        return (
            connection.scalar(
                select(func.count())
                .select_from(OutboundEmail)
                .where(OutboundEmail.state.in_([OutboxState.PENDING, OutboxState.SENDING]))
            )
            or 0
        )
