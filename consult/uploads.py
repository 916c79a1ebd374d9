"""Uploaded Office files (an Excel workbook, a Word document) are zip archives of XML: a few KB can
claim to unpack to gigabytes. They are checked here, before any parser opens them.

``zipfile`` never yields more bytes for a member than the archive's directory declares (a member
that inflates further fails its CRC check), so the declared sizes bound what parsing can unpack.
"""

from __future__ import annotations

import io
import zipfile

from consult.errors import FieldError, Invalid, PayloadTooLarge


def zip_member_names(content: bytes, *, max_unpacked_bytes: int, what: str, damaged: str) -> set[str]:
    """The names in the archive, once its members' declared sizes add up to at most
    ``max_unpacked_bytes``. ``what`` names the file in the refusal ("the Excel workbook");
    ``damaged`` is the reason given when the content is not a readable zip archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise Invalid.field("file", damaged) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        raise PayloadTooLarge(
            f"{what} unpacks to {unpacked:,} bytes; uploads are limited to {max_unpacked_bytes:,} "
            "bytes unpacked",
            errors=[FieldError("file", f"unpacks to more than {max_unpacked_bytes:,} bytes")],
        )
    return {member.filename for member in members}
