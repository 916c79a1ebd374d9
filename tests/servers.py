"""The API process as production runs it, for the tests and the benchmarks (bench/ imports this)."""

from __future__ import annotations

import socket
import sys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_command(port: int) -> list[str]:
    """uvicorn serving ``consult.app:create_app`` on 127.0.0.1:``port``, warnings only."""
    return [
        *[sys.executable, "-m", "uvicorn", "consult.app:create_app", "--factory"],
        *["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
    ]
