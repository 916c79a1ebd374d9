# ruff: noqa: RUF001
"""The Word round trip over real HTTP: a round's comments of every kind exported as the annotated
draft, read back with python-docx (every comment on its passage, every amendment a tracked change),
opened by LibreOffice, and imported into a fresh round on the same draft version, which then holds
the same comments: bodies, kinds, sections, quotes, proposed texts and the threads of replies. The
facilitators' answers stay out: they are not feedback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.exports.conftest import ANNA, GULNARA, IRINA, LUC, RAUF, Scenario, export, post
from tests.word.reading import SOFFICE, Annotated, convert, read
from tests.word.test_annotated import shown_heading

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

Shape = tuple  # (kind, section key, quote, proposed text, body, (replies...))


@pytest.fixture
def full_round(scenario: Scenario, link_for) -> Scenario:
    """The exports' round (a thread two replies deep on an amendment, a question and a comment on a
    section without a quote, comments on the whole draft, answers, hidden and withdrawn comments),
    and what it lacks: quotes in Azerbaijani and Russian, a quote across a paragraph and a list, a
    quote in a heading, an amendment without a passage, two amendments of one passage, replies on
    the whole draft, comments of several lines."""
    rid = scenario.round["id"]
    draft, comments = scenario.draft, scenario.comments
    gulnara, irina, luc, anna = (
        link_for(rid, scenario.directory.person(email)) for email in (GULNARA, IRINA, LUC, ANNA)
    )
    courses, guides = draft.section("3.1.1"), draft.section("4.1.1")
    comments["az_quote"] = post(
        gulnara,
        rid,
        section_key=courses["key"],
        quote="«Azərbaycan dili — A1»",
        body="Kurslar pulsuz olmalıdır.\nHəm də axşam saatlarında.",
    )
    comments["ru_amendment"] = post(
        irina,
        rid,
        section_key=guides["key"],
        quote="«Путеводитель мигранта»",
        kind="amendment",
        body="Так называется уже существующее издание.",
        proposed_text="«Справочник мигранта»",
        attribution="organisation",
    )
    comments["ru_reply"] = post(
        gulnara, rid, parent_id=comments["ru_amendment"]["id"], body="Razıyam, başqa ad lazımdır."
    )
    desk = draft.section("1.1.3")
    comments["across"] = post(
        anna,
        rid,
        section_key=desk["key"],
        quote="Ganja and Sumgayit. The desk:\n\n- explains the recognition procedure",
        body="Which documents? List them.",
    )
    diplomas = draft.section("1.1.1")
    comments["in_heading"] = post(
        luc,
        rid,
        section_key=diplomas["key"],
        quote="Single procedure",
        kind="question",
        body="One procedure for all levels of education?",
    )
    housing = draft.section("2.1.1")
    comments["no_passage"] = post(
        irina,
        rid,
        section_key=housing["key"],
        kind="amendment",
        body="Семьи с детьми — отдельно.",
        proposed_text="Families with children are accommodated together.",
    )
    comments["first_of_two"] = post(
        gulnara,
        rid,
        section_key=housing["key"],
        quote="for up to six months",
        kind="amendment",
        body="Six months is too short.",
        proposed_text="for up to twelve months",
    )
    comments["second_of_two"] = post(
        luc,
        rid,
        section_key=housing["key"],
        quote="for up to six months",
        kind="amendment",
        body="Three months are enough.",
        proposed_text="for up to three months",
    )
    comments["whole_reply"] = post(
        anna,
        rid,
        parent_id=comments["formula0"]["id"],
        body="What does “+1” mean here?",
        attribution="anonymous",
    )
    return scenario


def shapes(client: httpx.Client, round_id: str) -> list[Shape]:
    """The round's visible threads as comparable shapes, sorted (the two rounds' order of threads in
    a section may differ: one follows the clock, the other the file)."""
    tree = client.get(f"/api/v1/rounds/{round_id}/comments", params={"limit": 200})
    assert tree.status_code == 200, tree.text

    def shape(comment: dict) -> Shape:
        replies = sorted((shape(r) for r in comment["replies"] if r["status"] == "active"), key=repr)
        return (
            comment["kind"],
            comment["section_key"],
            comment["quote"],
            comment["proposed_text"],
            comment["body"],
            tuple(replies),
        )

    threads = [
        t for section in tree.json()["sections"] for t in section["threads"] if t["status"] == "active"
    ]
    return sorted((shape(thread) for thread in threads), key=repr)


def same(found: list[Shape], expected: list[Shape]) -> None:
    """The threads alike, the differences shown one thread a line."""
    missing = [s for s in expected if s not in found]
    extra = [s for s in found if s not in expected]
    lines = [f"missing {s!r}" for s in missing] + [f"extra {s!r}" for s in extra]
    assert not lines, "\n".join(lines)


def check_anchors(doc: Annotated, scenario: Scenario) -> None:
    """Every comment of the export in the margin on its passage (its heading without one, the
    title for the whole draft), every amendment with a passage a tracked change."""
    sections = {s["key"]: s for s in scenario.draft.sections}
    tree = shapes_by_body(doc)
    for name, comment in scenario.comments.items():
        if name in ("hidden", "withdrawn", "hidden_reply") or comment["parent_id"]:
            continue
        note = tree[comment["body"].split("\n")[0]]
        if comment["section_key"] is None:
            assert note.anchored == "Integration strategy", name
            continue
        section = sections[comment["section_key"]]
        # Under the section's heading, or on (a passage of) the heading itself.
        assert note.heading == shown_heading(section) or note.anchored in shown_heading(section), name
        if comment["quote"] is None:
            assert note.anchored == shown_heading(section), name
        else:
            # The list item's marker is Word's bullet; the paragraph break Word's.
            assert note.anchored == comment["quote"].replace("\n\n- ", "\n"), name
        if comment["kind"] == "amendment" and comment["quote"]:
            assert comment["proposed_text"] in note.inserted, name
    deleted = [c.text for c in doc.changes if c.kind == "del"]
    inserted = [c.text for c in doc.changes if c.kind == "ins"]
    # Two amendments of one passage: it is deleted once, both proposals inserted.
    assert sorted(deleted) == sorted(
        [
            "works in Azerbaijani, Russian and English",
            "«Путеводитель мигранта»",
            "for up to six months",
        ]
    )
    for name in ("desk", "ru_amendment", "first_of_two", "second_of_two", "no_passage"):
        assert scenario.comments[name]["proposed_text"] in inserted, name


def shapes_by_body(doc: Annotated) -> dict:
    """The export's comments by the first line of their text (the line after the header)."""
    return {n.paragraphs[1]: n for n in doc.notes.values() if len(n.paragraphs) > 1}


def test_the_annotated_draft_goes_out_and_comes_back_the_same(
    facilitator, full_round: Scenario, make_round, link_for, tmp_path: Path
):
    scenario = full_round
    rid = scenario.round["id"]
    content = export(facilitator, rid, "annotated_docx").content
    doc = read(content)
    # 18 visible comments and replies, 2 answers; hidden and withdrawn ones absent.
    assert len(doc.notes) == 20
    check_anchors(doc, scenario)
    expected = shapes(facilitator, rid)
    assert len(expected) == 13

    # Imported into a fresh round on the same version, by staff on a stakeholder's behalf.
    fresh = make_round(title="Second round on the same draft")
    imported = facilitator.post(
        f"/api/v1/rounds/{fresh['id']}/word-feedback",
        files={"file": ("annotated.docx", content, DOCX)},
        data={"person_id": scenario.directory.person(RAUF)},
    )
    assert imported.status_code == 200, imported.text
    report = imported.json()
    # Everything found its place: no heading missed, no passage lost, no note on any line.
    assert report["headings_unmatched"] == [] and report["counts"]["whole_draft"] == 3, report
    assert [line for line in report["lines"] if line["note"]] == []
    assert report["counts"]["replies"] == 5 and report["counts"]["already_imported"] == 0
    same(shapes(facilitator, fresh["id"]), expected)

    # Opened in LibreOffice: the conversion succeeds, and the file it saves comes back the same too.
    if SOFFICE is None:
        pytest.skip("soffice is not installed: apt-get install libreoffice-writer-nogui")
    source = tmp_path / "annotated.docx"
    source.write_bytes(content)
    assert convert(source, "pdf", tmp_path).read_bytes().startswith(b"%PDF")
    (tmp_path / "lo").mkdir()
    resaved = convert(source, "docx:MS Word 2007 XML", tmp_path / "lo")
    again = make_round(title="Third round on the same draft")
    irina = link_for(again["id"], scenario.directory.person(IRINA))
    imported = irina.post(
        f"/api/v1/rounds/{again['id']}/word-feedback",
        files={"file": ("annotated.docx", resaved.read_bytes(), DOCX)},
    )
    assert imported.status_code == 200, imported.text
    same(shapes(facilitator, again["id"]), expected)


@pytest.mark.parametrize(
    ("lang", "amendment", "reply", "facilitators"),
    [
        (
            "ru",
            "7 · Поправка · State Migration Service · ",
            "7.1 · Ответ на 7 · Комментарий · ",
            "Модераторы",
        ),
        (
            "az",
            "7 · Düzəliş təklifi · State Migration Service · ",
            "7.1 · 7-ə cavab · Şərh · ",
            "Moderatorlar",
        ),
    ],
)
def test_an_export_in_another_language_comes_back_the_same(
    facilitator, full_round: Scenario, make_round, lang, amendment, reply, facilitators
):
    """The export's own lines are in its language; the import knows them in any of the four."""
    rid = full_round.round["id"]
    response = export(facilitator, rid, "annotated_docx", lang=lang)
    doc = read(response.content)
    assert doc.by_header(amendment).paragraphs[1:] == ["Add Farsi and Arabic: many refugees speak them."]
    assert doc.by_header(reply).paragraphs[1:] == ["Мы поддерживаем это предложение."]
    answers = [n for n in doc.notes.values() if n.author == facilitators]
    assert len(answers) == 2 and not [n for n in doc.notes.values() if "Answer to" in n.text]
    fresh = make_round(title="Second round on the same draft")
    imported = facilitator.post(
        f"/api/v1/rounds/{fresh['id']}/word-feedback",
        files={"file": ("annotated.docx", response.content, DOCX)},
        data={"person_id": full_round.directory.person(RAUF)},
    )
    assert imported.status_code == 200, imported.text
    same(shapes(facilitator, fresh["id"]), shapes(facilitator, rid))
