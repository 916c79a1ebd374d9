"""Pure unit tests: reading drafts, numbering sections, carrying keys over, comparing versions."""

# Azerbaijani letters (the dotless i) and typographic dashes are the point of several tests here.
# ruff: noqa: RUF001

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from openpyxl import Workbook

from consult.drafts.fixtures import strategy_docx, strategy_markdown
from consult.drafts.models import DraftFormat
from consult.drafts.parsing import MAX_SECTIONS, ParsedDraft, read_draft, split_heading
from consult.drafts.versions import (
    Change,
    SectionLabel,
    SectionText,
    assign_keys,
    diff_sections,
    heading_title,
    match_keys,
)
from consult.errors import Invalid, PayloadTooLarge

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def read(content: bytes | str, filename: str = "draft.md", max_bytes: int = 10_000_000) -> ParsedDraft:
    raw = content.encode() if isinstance(content, str) else content
    return read_draft(raw, filename=filename, max_bytes=max_bytes)


def outline(draft: ParsedDraft) -> list[tuple[int | None, int, str, str]]:
    return [(s.parent, s.level, s.number, s.heading) for s in draft.sections]


def refusal(content: bytes, filename: str = "draft.md") -> str:
    with pytest.raises(Invalid) as caught:
        read(content, filename)
    [error] = caught.value.errors
    assert error.field == "file"
    return error.reason


# Reading Markdown


def test_headings_nest_by_level_and_text_before_the_first_is_the_preamble():
    draft = read(
        "National strategy\n\nDraft 1\n"
        "# Pillar A\nwhy\n## Objective A1\n### Action A1a\n### Action A1b\n## Objective A2\n# Pillar B\n"
    )
    assert draft.format is DraftFormat.MARKDOWN
    assert draft.preamble == "National strategy\n\nDraft 1"
    assert outline(draft) == [
        (None, 1, "1", "Pillar A"),
        (0, 2, "1.1", "Objective A1"),
        (1, 3, "1.1.1", "Action A1a"),
        (1, 3, "1.1.2", "Action A1b"),
        (0, 2, "1.2", "Objective A2"),
        (None, 1, "2", "Pillar B"),
    ]
    assert draft.sections[0].body == "why"


def test_a_skipped_heading_level_nests_under_the_nearest_higher_heading():
    draft = read("### Deep first\n# Top\n### Skipped a level\n## Back to two\n")
    assert outline(draft) == [
        (None, 1, "1", "Deep first"),
        (None, 1, "2", "Top"),
        (1, 2, "2.1", "Skipped a level"),
        (1, 2, "2.2", "Back to two"),
    ]


def test_numbers_come_from_the_heading_when_it_carries_one_and_from_the_position_otherwise():
    draft = read(
        "# Introduction\n"
        "# Pillar 2 — Housing\n"
        "## Objective 2.4: Rental market\n"
        "### 2.4.7 Guidance on tenancy rights\n"
        "### Monitoring\n"
        "## Evaluation\n"
        "# 2030 Vision\n"
    )
    assert [s.number for s in draft.sections] == ["1", "2", "2.4", "2.4.7", "2.4.2", "2.2", "3"]


@pytest.mark.parametrize(
    ("heading", "number", "title"),
    [
        ("Pillar 1 — Access to employment", "1", "Access to employment"),
        ("Objective 1.1 — Recognition of qualifications", "1.1", "Recognition of qualifications"),
        ("Action 1.1.3 — One-stop information desk", "1.1.3", "One-stop information desk"),
        ("1.1.3 One-stop information desk", "1.1.3", "One-stop information desk"),
        ("3. Housing", "3", "Housing"),
        ("2) Health", "2", "Health"),
        ("Tədbir 2.1.4 — Miqrantlar üçün məlumat", "2.1.4", "Miqrantlar üçün məlumat"),
        ("Направление 3: Жильё", "3", "Жильё"),
        ("Pillar 4", "4", ""),
        ("2030 Vision", None, "2030 Vision"),
        ("Strategy 2026–2030", None, "Strategy 2026–2030"),
        ("3D mapping of services", None, "3D mapping of services"),
        ("Annexes", None, "Annexes"),
    ],
)
def test_split_heading(heading, number, title):
    assert split_heading(heading) == (number, title)


def test_hashes_in_fenced_code_blocks_are_not_headings_and_the_block_stays_whole():
    draft = read(
        "# Data\nThe export looks like this:\n\n```markdown\n# Not a heading\n\n## Nor this\n```\n"
        "~~~~\n# still code\n~~~\nstill code\n~~~~\n# Next\n"
    )
    assert [s.heading for s in draft.sections] == ["Data", "Next"]
    assert draft.sections[0].body == (
        "The export looks like this:\n\n```markdown\n# Not a heading\n\n## Nor this\n```\n"
        "~~~~\n# still code\n~~~\nstill code\n~~~~"
    )


def test_markdown_heading_syntax_details():
    draft = read("#NoSpace is text\n    # indented code\n## Closed heading ##\n#\n##   Spaced   out  \n")
    assert draft.preamble == "#NoSpace is text\n    # indented code"
    assert [s.heading for s in draft.sections] == ["Closed heading", "Spaced out"]


def test_paragraphs_are_separated_by_one_blank_line_and_trailing_spaces_dropped():
    draft = read("# A\n\n\nFirst line  \nsecond line\n\n\n\nNext paragraph\n\n")
    assert draft.sections[0].body == "First line\nsecond line\n\nNext paragraph"


def test_byte_order_mark_and_windows_line_ends():
    draft = read(b"\xef\xbb\xbfPreamble\r\n# Pillar 1\r\nBody\r\n")
    assert draft.preamble == "Preamble"
    assert (draft.sections[0].heading, draft.sections[0].body) == ("Pillar 1", "Body")


def test_azerbaijani_and_cyrillic_text_is_kept_exactly():
    heading = "Sütun 1 — Miqrantların məşğulluğa çıxışı"
    body = (
        "Цель: признание квалификаций — «Путеводитель мигранта».\nDövlət Məşğulluq Agentliyi; Ğ ğ İ ı Ş ş Ə ə"
    )
    decomposed = "Mu\u0308ra\u0301ciət"  # NFD, as some editors save it: not normalised
    draft = read(f"# {heading}\n{body}\n\n{decomposed}\n\u2028 separator kept\n")
    assert draft.sections[0].heading == heading
    assert draft.sections[0].body == f"{body}\n\n{decomposed}\n\u2028 separator kept"
    assert draft.sections[0].number == "1"


def test_a_text_file_named_docx_is_read_as_markdown():
    assert read("# Pillar 1\n", filename="strategy.docx").format is DraftFormat.MARKDOWN


# Reading Word documents


def word_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_word_headings_lists_and_tables():
    document = docx.Document()
    document.add_paragraph("Strategy on the integration of migrants", style="Title")
    document.add_paragraph("Draft 1")
    document.add_heading("Pillar 1 — Access to employment", level=1)
    document.add_paragraph("Employment first.")
    document.add_heading("", level=2)  # an empty heading paragraph, as Word users leave them
    document.add_heading("Objective 1.1\tRecognition   of qualifications", level=2)
    document.add_paragraph("The desk:")
    document.add_paragraph("explains the procedure;", style="List Bullet")
    document.add_paragraph("refers to vacancies.", style="List Number")
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(
        table.rows, [("Indicator", "Baseline", "Target"), ("Diplomas", "40", "400")], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Merged"
    merged.cell(0, 2).text = "Single"
    document.add_heading("Action 1.1.3 — One-stop desk", level=3)
    document.add_paragraph("Line one\nline two")

    draft = read(word_bytes(document), filename="strategy.docx")
    assert draft.format is DraftFormat.DOCX
    assert draft.preamble == "Strategy on the integration of migrants\n\nDraft 1"
    assert outline(draft) == [
        (None, 1, "1", "Pillar 1 — Access to employment"),
        (0, 2, "1.1", "Objective 1.1 Recognition of qualifications"),
        (1, 3, "1.1.3", "Action 1.1.3 — One-stop desk"),
    ]
    assert draft.sections[0].body == "Employment first."
    assert draft.sections[1].body == (
        "The desk:\n\n- explains the procedure;\n- refers to vacancies.\n\n"
        "Indicator | Baseline | Target\nDiplomas | 40 | 400\n\nMerged | Single"
    )
    assert draft.sections[2].body == "Line one\nline two"


def test_word_custom_heading_styles_and_outline_levels():
    document = docx.Document()
    custom = document.styles.add_style("Ministry Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 1"]
    document.add_paragraph("Pillar 1 in a custom style", style="Ministry Heading")
    outlined = document.add_paragraph("Objective with an outline level")
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "1")  # Word counts outline levels from 0
    outlined._p.get_or_add_pPr().append(level)
    document.add_paragraph("Body text")
    draft = read(word_bytes(document), filename="strategy.docx")
    assert outline(draft) == [
        (None, 1, "1", "Pillar 1 in a custom style"),
        (0, 2, "1.1", "Objective with an outline level"),
    ]


def test_the_fixture_reads_the_same_from_word_and_from_markdown():
    for version in (1, 2):
        from_word = read(strategy_docx(version), filename="strategy.docx")
        from_markdown = read(strategy_markdown(version))
        assert (from_word.preamble, from_word.sections) == (from_markdown.preamble, from_markdown.sections)
    assert len(from_word.sections) == 33


# Refusals


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (b"", "draft.md", "empty"),
        (b" \n\t\n", "draft.md", "empty"),
        (PNG, "photo.png", "neither a Word document nor UTF-8 text"),
        (bytes(range(256)) * 4, "draft.bin", "neither a Word document nor UTF-8 text"),
        (PNG, "strategy.docx", "named .docx but is not a Word document"),
        (b"Just a letter\n\nwith no headings at all.\n", "draft.md", "no headings found"),
        (b"# \n#\n", "draft.md", "no headings found"),
        (b"PK\x03\x04" + b"\x00" * 100, "strategy.docx", "damaged Word document"),
        (zip_bytes({"notes.txt": b"hello"}), "strategy.docx", "a zip archive, not a Word document"),
        (xlsx_bytes(), "strategy.docx", "an Excel workbook, not a Word document"),
        (zip_bytes({"word/document.xml": b"<not xml"}), "strategy.docx", "cannot be read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "strategy.doc", "Word 97-2003"),
        (b"# Pillar 1\n\x00\x00", "draft.md", "neither a Word document nor UTF-8 text"),
    ],
)
def test_unreadable_files_are_refused_naming_the_field_and_the_reason(content, filename, reason):
    assert reason in refusal(content, filename)


def test_a_word_document_without_headings_is_refused():
    document = docx.Document()
    document.add_paragraph("All in body text.")
    assert "no headings found" in refusal(word_bytes(document), "strategy.docx")


def test_files_over_the_limit_are_refused_before_being_read():
    with pytest.raises(PayloadTooLarge) as caught:
        read("# A\n" + "x" * 100, max_bytes=100)
    assert caught.value.errors[0].field == "file"
    assert "100 bytes" in caught.value.detail


def test_drafts_with_too_many_sections_are_refused():
    read("".join(f"# Section {n}\n" for n in range(MAX_SECTIONS)))
    assert f"more than {MAX_SECTIONS:,} sections" in refusal(
        "".join(f"# Section {n}\n" for n in range(MAX_SECTIONS + 1)).encode()
    )


# Keys across versions


def labels(*pairs: tuple[str, str]) -> list[SectionLabel]:
    return [SectionLabel(number=number, heading=heading) for number, heading in pairs]


def previous_of(*pairs: tuple[str, str]) -> dict[str, SectionLabel]:
    return {f"k{index}": label for index, label in enumerate(labels(*pairs))}


def test_heading_titles_ignore_label_number_case_spacing_and_dashes():
    assert heading_title("Action 1.2.1 — Work  permits for ENGINEERS") == "work permits for engineers"
    assert heading_title("1.2.2 Work permits for engineers") == "work permits for engineers"
    assert heading_title("Short-term — and long–term") == heading_title("short-term - and  long-term")


def test_an_unchanged_outline_keeps_every_key():
    old = previous_of(("1", "Pillar 1 — Employment"), ("1.1", "Objective 1.1 — Qualifications"))
    assert match_keys(old, list(old.values())) == ["k0", "k1"]


def test_a_renamed_heading_keeps_its_key_through_its_number():
    old = previous_of(("2", "Pillar 2 — Housing"), ("2.1", "Objective 2.1 — Affordable housing"))
    new = labels(
        ("2", "Pillar 2 — Housing"), ("2.1", "Objective 2.1 — Access to affordable and decent housing")
    )
    assert match_keys(old, new) == ["k0", "k1"]


def test_an_inserted_section_is_new_and_the_renumbered_ones_keep_their_keys_through_their_headings():
    old = previous_of(
        ("1.2", "Objective 1.2 — Legal employment"),
        ("1.2.1", "Action 1.2.1 — Information for employers"),
        ("1.2.2", "Action 1.2.2 — Labour inspections"),
    )
    new = labels(
        ("1.2", "Objective 1.2 — Legal employment"),
        ("1.2.1", "Action 1.2.1 — Fast-track work permits"),
        ("1.2.2", "Action 1.2.2 — Information for employers"),
        ("1.2.3", "Action 1.2.3 — Labour inspections"),
    )
    assert match_keys(old, new) == ["k0", None, "k1", "k2"]


def test_swapped_sections_follow_their_headings():
    old = previous_of(("2.1", "Housing"), ("2.2", "Health"))
    assert match_keys(old, labels(("2.1", "Health"), ("2.2", "Housing"))) == ["k1", "k0"]


def test_a_moved_section_keeps_its_key_and_a_removed_one_leaves_its_key_unused():
    old = previous_of(("1", "Employment"), ("2", "Housing"), ("3", "Advisory council"))
    new = labels(("1", "Housing"), ("2", "Employment"))
    assert match_keys(old, new) == ["k1", "k0"]


def test_exact_matches_come_first_and_each_old_key_is_used_once():
    old = previous_of(("1.1", "Monitoring"), ("1.2", "Monitoring"), ("2.1", "Monitoring"))
    new = labels(("2.1", "Monitoring"), ("1.1", "Monitoring"), ("3.1", "Monitoring"), ("3.2", "Monitoring"))
    assert match_keys(old, new) == ["k2", "k0", "k1", None]


def test_headings_match_whatever_their_case_spacing_and_dashes():
    old = previous_of(("4", "Access to legislative procedures — overview"))
    assert match_keys(old, labels(("5", "ACCESS to  legislative procedures - Overview"))) == ["k0"]


def test_numbered_headings_without_a_title_match_by_number_only():
    old = previous_of(("1", "Pillar 1"), ("2", "Pillar 2"))
    assert match_keys(old, labels(("1", "Pillar 1"), ("2", "Part 2"), ("3", "Pillar 3"))) == [
        "k0",
        "k1",
        None,
    ]


def test_fresh_keys_are_short_url_safe_unique_and_never_reuse_an_old_key():
    keys = assign_keys(["k0", None, None, "k2"], reserved=["k0", "k1", "k2"])
    assert keys[0] == "k0"
    assert keys[3] == "k2"
    assert len(set(keys)) == 4
    for key in keys[1:3]:
        assert re.fullmatch(r"s-[a-z0-9]{10}", key)


# Comparing versions


def test_diff_by_key_in_draft_order_with_removed_sections_where_they_were():
    old = [
        SectionText("a", "1", "Pillar 1 — Employment", "Work."),
        SectionText("b", "1.1", "Objective 1.1 — Recognition", "Diplomas."),
        SectionText("c", "1.2", "Objective 1.2 — Permits", "Old text.\nSecond line."),
        SectionText("d", "2", "Pillar 2 — Housing", "Homes."),
    ]
    new = [
        SectionText("a", "1", "Pillar 1 — Employment", "Work."),
        SectionText("c", "1.1", "Objective 1.1 — Permits", "New text.\nSecond line."),
        SectionText("e", "1.2", "Objective 1.2 — Entrepreneurship", "Start-ups."),
        SectionText("d", "2", "Pillar 2 — Housing", "Homes."),
    ]
    changes = diff_sections(old, new, old_label="v1", new_label="v2")
    assert [(c.key, c.change) for c in changes] == [
        ("a", Change.UNCHANGED),
        ("b", Change.REMOVED),
        ("c", Change.CHANGED),
        ("e", Change.ADDED),
        ("d", Change.UNCHANGED),
    ]
    changed = changes[2]
    assert changed.old_section == old[2]
    assert changed.section == new[1]
    assert changed.diff is not None
    assert changed.diff.split("\n") == [
        "--- v1 1.2",
        "+++ v2 1.1",
        "@@ -1,4 +1,4 @@",
        "-Objective 1.2 — Permits",
        "+Objective 1.1 — Permits",
        " ",
        "-Old text.",
        "+New text.",
        " Second line.",
    ]
    assert changes[1].section is None
    assert changes[3].old_section is None
    assert changes[3].diff is None


def test_sections_removed_at_the_start_come_first():
    old = [SectionText("x", "1", "Foreword", ""), SectionText("a", "2", "Pillar", "")]
    new = [SectionText("a", "1", "Pillar", "")]
    assert [(c.key, c.change) for c in diff_sections(old, new, old_label="v1", new_label="v2")] == [
        ("x", Change.REMOVED),
        ("a", Change.UNCHANGED),
    ]
