"""Imports point down only: the import-linter contracts in pyproject.toml hold for the tree, and they
catch an import that points up (each one the layering once had to remove) or into workers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the project in ``project`` (it imports the packages from its working directory)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_the_contracts() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("consult.auth.middleware", "consult.rounds.links"),
        ("consult.mail.replies", "consult.rounds.models"),
        ("consult.events.controller", "consult.invitations.service"),
        ("consult.directory.models", "consult.web.pages"),
        ("consult.settings", "workers.app"),
    ],
)
def test_an_import_that_points_up_breaks_a_contract(tmp_path: Path, module: str, imported: str) -> None:
    for package in ("consult", "workers"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    source = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
    source.write_text(source.read_text() + f"\nimport {imported}  # noqa: E402\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{module} -> {imported}" in result.stdout, result.stdout
