"""Making text safe for spreadsheet cells (XLSX and CSV)."""

from __future__ import annotations

import re
from typing import Any

# A cell that starts with one of these is read as a formula by Excel, LibreOffice or Google Sheets
# (a comment "=HYPERLINK(...)" would become a live link). OWASP's advice: prefix a single quote.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Control characters XML 1.0 does not allow: openpyxl and python-docx refuse them, so they go.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(value: Any) -> Any:
    """``value`` with a leading single quote when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def xml_text(value: Any) -> Any:
    """``value`` without the control characters an XML document cannot hold."""
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return value


def spreadsheet_cell(value: Any) -> Any:
    return neutralise(xml_text(value))
