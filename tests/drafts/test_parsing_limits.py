"""Drafts too big to be a consultation's are refused at the limit, not after reading all of them."""

from __future__ import annotations

import io
import time
import zipfile

import docx
import pytest

from consult.drafts.parsing import MAX_SECTIONS, read_draft
from consult.errors import Invalid, PayloadTooLarge
from consult.uploads import WORD_MAX_UNPACKED_BYTES as MAX_UNPACKED_BYTES
from tests.drafts.test_drafts_api import consultation, document, upload  # noqa: F401 - fixtures
from tests.helpers import problem

_HEADING = '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Section {}</w:t></w:r></w:p>'


def docx_with_headings(count: int) -> bytes:
    """A Word document of ``count`` "Heading 1" paragraphs, written as XML: python-docx would take
    minutes to add 50,000 of them."""
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    xml = source.read("word/document.xml").decode()
    start = xml.index("<w:body>") + len("<w:body>")
    xml = xml[:start] + "".join(_HEADING.format(n) for n in range(count)) + xml[start:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            part = xml.encode() if member.filename == "word/document.xml" else source.read(member)
            target.writestr(member.filename, part)
    return out.getvalue()


def test_a_word_document_of_50000_headings_is_refused_at_the_limit_in_little_cpu():
    content = docx_with_headings(50_000)
    assert len(content) < 250_000  # a small upload
    started = time.process_time()
    with pytest.raises(Invalid) as caught:
        read_draft(content, filename="headings.docx", max_bytes=10_000_000)
    cpu_seconds = time.process_time() - started
    [error] = caught.value.errors
    assert (error.field, error.reason) == (
        "file",
        f"the draft has more than {MAX_SECTIONS:,} sections (headings)",
    )
    # Reading every heading before counting them took minutes; stopping at the limit takes well
    # under a second.
    assert cpu_seconds < 3, cpu_seconds


def test_a_word_document_unpacking_past_the_limit_is_refused_before_it_is_opened():
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
        with target.open("word/media/padding.bin", "w", force_zip64=True) as padding:
            chunk = bytes(1024 * 1024)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                padding.write(chunk)
    assert len(out.getvalue()) < 1_000_000

    with pytest.raises(PayloadTooLarge) as caught:
        read_draft(out.getvalue(), filename="padded.docx", max_bytes=10_000_000)
    assert caught.value.errors[0].reason == f"unpacks to more than {MAX_UNPACKED_BYTES:,} bytes"


def test_markdown_of_a_million_headings_is_refused_at_the_limit_quickly():
    content = b"# Section\n" * 1_000_000
    started = time.process_time()
    with pytest.raises(Invalid, match="sections"):
        read_draft(content, filename="headings.md", max_bytes=20_000_000)
    assert time.process_time() - started < 1


def test_the_api_refuses_the_word_document_with_a_problem_naming_the_limit(api, document):  # noqa: F811
    started = time.monotonic()
    response = upload(api, document["id"], docx_with_headings(50_000), "headings.docx")
    elapsed = time.monotonic() - started
    body = problem(response, 422)
    assert body["errors"] == [
        {"field": "file", "reason": f"the draft has more than {MAX_SECTIONS:,} sections (headings)"}
    ]
    assert elapsed < 5, elapsed
