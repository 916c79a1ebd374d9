"""The waiting helpers: a settle that read no task from the worker's log would wait for nothing."""

from __future__ import annotations

import re

import pytest

from tests.waiting import caught_up, task_runs, wait_until
from workers.tasks import scan_rounds

LOG = b"""[2026-11-30 11:10:37,357: INFO/MainProcess] Task consult.relay_outbox[fbb059f2-0785] received
[2026-11-30 11:10:37,380: INFO/MainProcess] Task consult.scan_rounds[a79919d5-55ab] received
[2026-11-30 11:10:37,559: INFO/ForkPoolWorker-2] Task consult.scan_rounds[a79919d5-55ab] succeeded in 0.15s: 0
[2026-11-30 11:10:38,344: INFO/ForkPoolWorker-3] Task consult.relay_outbox[fbb059f2-0785] succeeded in 0.95s: 0
[2026-11-30 11:10:38,353: INFO/MainProcess] Task consult.scan_rounds[041e4cdb-7e75] received
[2026-11-30 11:10:38,448: INFO/ForkPoolWorker-3] Task consult.scan_rounds[041e4cdb-7e75] raised unexpected: OperationalError()
"""


def test_caught_up_needs_earlier_tasks_finished_and_a_whole_scan_after_the_marker():
    runs = task_runs(LOG, 0)
    assert [(r.name, r.finished) for r in runs] == [
        ("consult.relay_outbox", True),
        ("consult.scan_rounds", True),
        ("consult.scan_rounds", True),
    ]
    second_scan = runs[2].received_at
    assert caught_up(runs, second_scan, ["consult.scan_rounds"])
    assert not caught_up(runs, second_scan + 1, ["consult.scan_rounds"])  # no scan began after it
    unfinished = task_runs(LOG[: LOG.index(b"[2026-11-30 11:10:38,344")], 0)
    assert not caught_up(unfinished, len(LOG), [])  # the relay had not finished


def test_wait_until_returns_the_value_or_names_what_it_waited_for():
    values = iter([None, [], "ready"])
    assert wait_until(lambda: next(values), "a value", timeout=5, interval=0) == "ready"
    with pytest.raises(AssertionError, match=re.escape("waited 0.05s for nothing to happen; last seen: 0")):
        wait_until(lambda: 0, "nothing to happen", timeout=0.05, interval=0.01)


def test_settle_reads_the_real_workers_log(worker):
    worker.settle(scan_rounds)
    runs = task_runs(worker.log(), worker.log_start)
    assert any(run.name == scan_rounds.name and run.finished for run in runs)
