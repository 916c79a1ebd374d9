"""Snapshot files: a test renders something and compares it with the file committed beside it.

``UPDATE_SNAPSHOTS=1 pytest ...`` writes the files instead of comparing; review the diff in git.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

UPDATING = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(path: Path, actual: str) -> None:
    """Fails with a unified diff (snapshot → now) when ``actual`` differs from the file at ``path``."""
    if UPDATING:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 to write it", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"{path.name} (committed)",
            tofile=f"{path.name} (rendered now)",
        )
        pytest.fail(
            f"{path} differs; if the change is intended, run with UPDATE_SNAPSHOTS=1\n{''.join(diff)}",
            pytrace=False,
        )
