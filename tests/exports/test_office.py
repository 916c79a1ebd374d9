"""A real office suite opens what we produce: LibreOffice converts the XLSX and DOCX exports to PDF
(summary tables, a landscape section, a chart, Cyrillic labels included)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.exports.conftest import Scenario, export

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(
    SOFFICE is None,
    reason="soffice is not installed: apt-get install libreoffice-calc-nogui libreoffice-writer-nogui "
    "(.ci/run does)",
)
@pytest.mark.parametrize(("fmt", "lang"), [("xlsx", "en"), ("docx", "en"), ("docx", "ru"), ("xlsx", "az")])
def test_libreoffice_opens_the_export(fmt: str, lang: str, facilitator, scenario: Scenario, tmp_path: Path):
    source = tmp_path / f"comments.{fmt}"
    source.write_bytes(export(facilitator, scenario.round["id"], fmt, lang=lang).content)
    assert SOFFICE is not None
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",  # its own profile: parallel-safe
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "comments.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr.decode(errors="replace")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
