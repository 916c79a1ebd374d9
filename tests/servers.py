"""The API and worker processes as production runs them, for the tests and the benchmarks (bench/
imports this)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_command(port: int, log_level: str = "warning") -> list[str]:
    """uvicorn serving ``consult.app:create_app`` on 127.0.0.1:``port``, warnings only by default."""
    return [
        *[sys.executable, "-m", "uvicorn", "consult.app:create_app", "--factory"],
        *["--host", "127.0.0.1", "--port", str(port), "--log-level", log_level],
    ]


def worker_command(*, concurrency: int, loglevel: str, beat_schedule: Path | None = None) -> list[str]:
    """A Celery worker with the prefork pool on the settings' queue; with ``beat_schedule``, the
    embedded beat too (keeping its schedule in that file)."""
    beat = ["-B", "--schedule", str(beat_schedule)] if beat_schedule is not None else []
    return [
        *[sys.executable, "-m", "celery", "-A", "workers.app:celery_app", "worker", *beat],
        *["--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", loglevel],
        *["--without-gossip", "--without-mingle"],
    ]
