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


# A .docx is compressed XML; refusing archives that claim to unpack to more than this keeps a small
# "zip bomb" from filling the server's memory (drafts uploaded, annotated drafts returned).
WORD_MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def word_member_names(content: bytes, save_as_hint: str) -> set[str]:
    """The parts of a Word document (checked as ``zip_member_names`` does), or a refusal saying what
    the file is instead, followed by ``save_as_hint`` (what to send)."""
    names = zip_member_names(
        content,
        max_unpacked_bytes=WORD_MAX_UNPACKED_BYTES,
        what="the Word document",
        damaged="the file looks like a damaged Word document (an incomplete zip archive); "
        "open it in Word and save it again",
    )
    if "word/document.xml" not in names:
        found = "an Excel workbook" if "xl/workbook.xml" in names else "a zip archive"
        raise Invalid.field("file", f"the file is {found}, not a Word document; {save_as_hint}")
    return names
