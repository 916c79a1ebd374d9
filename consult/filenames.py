"""File names for downloads: safe on every file system and in a ``Content-Disposition`` header.

Shared by the exports (consult.exports) and the link pages that hand out files (consult.word.pages),
hence low in the layers.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Nothing a file system or a header could trip on: path separators, quotes, control characters
# (CR/LF would split the header), and the characters Windows refuses in file names.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')
_SPACES = re.compile(r"\s+")
MAX_NAME = 120  # characters before the extension


def safe_file_name(stem: str, extension: str) -> str:
    stem = _SPACES.sub(" ", _UNSAFE.sub(" ", stem)).strip(" .")[:MAX_NAME].strip(" .")
    return f"{stem or 'export'}.{extension}"


def ascii_file_name(name: str) -> str:
    """The fallback ``filename=`` for clients without RFC 6266: accents dropped, the rest as ``_``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9 ._()\-,]+", "_", plain)
    plain = re.sub(r"_+", "_", _SPACES.sub(" ", plain)).strip(" _")
    return plain if plain and not plain.startswith(".") else "export" + name[name.rfind(".") :]


def content_disposition(name: str) -> str:
    """``attachment`` with both names (RFC 6266): the UTF-8 one that browsers prefer, and ASCII."""
    name = safe_file_name(*name.rsplit(".", 1)) if "." in name else safe_file_name(name, "bin")
    return f"attachment; filename=\"{ascii_file_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_headers(name: str) -> dict[str, str]:
    """The headers of a download: its name (``content_disposition``) and not to be cached."""
    return {"Content-Disposition": content_disposition(name), "Cache-Control": "no-store"}
