"""Issue 11, finding 9: deployments sharing one Redis heard each other's remote control (a worker
saw another deployment's nodes). Each deployment's control messages stay within its queue name."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from consult.jobs import make_celery
from consult.settings import get_settings
from tests.waiting import wait_until


@contextmanager
def probe_worker(queue: str, node: str, log_path: Path) -> Iterator[None]:
    """A real worker process of tests/celery_probe.py consuming ``queue``, named ``node``."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "tests.celery_probe:celery_app", "worker"),
                *("--pool", "solo", "--hostname", node, "--loglevel", "INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            env={**os.environ, "CONSULT_CELERY_QUEUE": queue},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def ready() -> bool:
                if process.poll() is not None:
                    raise RuntimeError(f"worker exited: {log_path.read_text(errors='replace')[-3000:]}")
                return " ready." in log_path.read_text(errors="replace")

            wait_until(ready, f"worker {node} to be ready", timeout=60)
            yield
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_remote_control_reaches_only_the_deployments_own_workers(tmp_path):
    run = uuid.uuid4().hex[:8]
    queues = {f"isolation-a-{run}": f"a-{run}@probe", f"isolation-b-{run}": f"b-{run}@probe"}
    settings = get_settings()
    with ExitStack() as workers:
        for queue, node in queues.items():
            workers.enter_context(probe_worker(queue, node, tmp_path / f"{node}.log"))
        for queue, node in queues.items():
            app = make_celery(
                dataclasses.replace(settings, broker=dataclasses.replace(settings.broker, queue=queue))
            )
            try:
                # Every worker answering on this Redis (other test runs' too, before the fix).
                answered = {name for reply in app.control.ping(timeout=2) for name in reply}
                inspected = app.control.inspect(timeout=2).active_queues() or {}
            finally:
                app.close()
            assert answered == {node}
            assert set(inspected) == {node}
            assert [q["name"] for q in inspected[node]] == [queue]
