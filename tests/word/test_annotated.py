# ruff: noqa: RUF001
"""Word out: the annotated draft over real HTTP, read back with python-docx and opened by
LibreOffice: every exported comment in the margin on its passage, replies and answers threaded under
it, amendments as tracked changes, hidden and withdrawn comments absent, the filters applied."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from consult.drafts.parsing import split_heading
from tests.exports.conftest import FORMULAS, GULNARA, IRINA, LUC, RAUF, Scenario, export, post
from tests.exports.test_jobs import wait_done
from tests.word.reading import SOFFICE, Annotated, convert, read

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ABSENT = ("Spam spam spam", "I take this back", "Rude words")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="soffice is not installed: apt-get install libreoffice-writer-nogui"
)


def annotated(client, round_id: str, **params) -> Annotated:
    response = export(client, round_id, "annotated_docx", **params)
    assert response.headers["content-type"] == DOCX
    # The human file name of every export: the round's title and the day, RFC 6266 filename*.
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(
        r"attachment; filename=\"[^\"]+ \d{4}-\d\d-\d\d\.docx\"; filename\*=UTF-8''\S+\.docx", disposition
    ), disposition
    return read(response.content)


def shown_heading(section: dict) -> str:
    number, _ = split_heading(section["heading"])
    return section["heading"] if number == section["number"] else f"{section['number']} {section['heading']}"


def levelled(sections: list[dict], level: int = 1) -> list[tuple[int, dict]]:
    """The draft's sections in order with their depth in the tree."""
    return [pair for s in sections for pair in [(level, s), *levelled(s["children"], level + 1)]]


def test_every_comment_is_in_the_margin_on_its_passage(facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    doc = annotated(facilitator, rid)
    desk, recognition = scenario.draft.section("1.1.3"), scenario.draft.section("1.1")
    # The draft as it is: the title, then every heading in a Word heading style of its level.
    assert doc.paragraphs[0] == ("Title", "Integration strategy")
    assert doc.headings == [
        (f"Heading{level}", shown_heading(s)) for level, s in levelled(scenario.draft.version["sections"])
    ]
    assert doc.properties == {"consult_round_id": rid, "consult_version": "1"}
    listed = [text for style, text in doc.paragraphs if style == "ListBullet"]
    assert "works in Azerbaijani, Russian and English." in listed

    # 9 exported comments and 2 answers; hidden and withdrawn ones (and replies under them) absent.
    assert len(doc.notes) == 11
    every_text = " ".join(n.text for n in doc.notes.values())
    assert not [text for text in ABSENT if text in every_text]

    amendment = doc.by_header("6 · Amendment")
    assert amendment.author == "Gülnarə Şükürova" and amendment.initials == "GŞ"
    assert amendment.paragraphs == [
        amendment.paragraphs[0],
        "Add Farsi and Arabic: many refugees speak them.",
    ]
    assert re.fullmatch(
        r"6 · Amendment · State Migration Service · \d{4}-\d\d-\d\d \d\d:\d\d UTC", amendment.paragraphs[0]
    )
    assert amendment.anchored == "works in Azerbaijani, Russian and English"
    assert amendment.inserted == "works in Azerbaijani, Russian, English, Farsi and Arabic"
    assert amendment.heading == shown_heading(desk) and amendment.parent is None
    assert amendment.date and amendment.date.endswith("Z")
    # The amendment is a tracked change by its author: the passage deleted, the proposal inserted.
    assert [(c.kind, c.author, c.text) for c in doc.changes] == [
        ("del", "Gülnarə Şükürova", "works in Azerbaijani, Russian and English"),
        ("ins", "Gülnarə Şükürova", "works in Azerbaijani, Russian, English, Farsi and Arabic"),
    ]
    assert len({c.id for c in doc.changes} | set(map(str, doc.notes))) == len(doc.changes) + len(doc.notes)
    assert "works in Azerbaijani, Russian, English, Farsi and Arabic." in doc.accepted

    # Replies and the answer: Word replies to the thread's comment, on the same passage, in order.
    replies = [n for n in doc.notes.values() if n.parent == amendment.id]
    assert [(n.paragraphs[0].split(" · ")[:2], n.author) for n in replies] == [
        (["6.1", "Reply to 6"], "Migrant Support NGO"),
        (["6.1.1", "Reply to 6.1"], "Anonymous"),
        (["6.2", "Reply to 6"], "Rauf Məmmədov"),
        (["Answer to 6", "Accepted"], "Facilitators"),
    ]
    assert replies[0].paragraphs[1:] == ["Мы поддерживаем это предложение."]
    assert replies[3].paragraphs[1:] == [
        "Farsi and Arabic added.",
        f"Taken up in version 2, 1.1.3 {desk['heading']}",
    ]
    assert all(n.anchored == amendment.anchored for n in replies)

    # No quote: on the section's heading; the body as written (Word is not a spreadsheet).
    question = doc.by_header("4 · Question")
    assert question.author == "Luc Dubois" and question.paragraphs[1:] == [FORMULAS[0]]
    assert question.anchored == shown_heading(recognition)
    answer = next(n for n in doc.notes.values() if n.parent == question.id)
    assert answer.paragraphs == ["Answer to 4 · Not accepted", "-Out of scope"]
    anonymous = doc.by_header("5 · Comment")
    assert anonymous.author == "Anonymous" and "Petrova" not in anonymous.text
    # Comments on the whole draft: on the title.
    for number, text in zip("123", FORMULAS[1:], strict=True):
        note = doc.by_header(f"{number} · Comment")
        assert note.anchored == "Integration strategy" and note.heading is None
        assert note.paragraphs[1:] == [text] and note.author == "Rauf Məmmədov"


def test_the_filters_of_the_export_apply(facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    questions = annotated(facilitator, rid, kind="question")
    assert [n.paragraphs[0].split(" · ")[0] for n in questions.notes.values()] == ["1", "Answer to 1"]
    assert questions.changes == []
    # Threads are exported whole: the amendment's thread, with its tracked change.
    section = scenario.draft.section("1.1.3")["key"]
    desk = annotated(facilitator, rid, section_key=section)
    assert len(desk.notes) == 5 and len(desk.changes) == 2
    # The whole draft is there whatever the filter.
    assert len(desk.headings) == len(scenario.draft.sections)
    nothing = annotated(facilitator, rid, **{"from": "2100-01-01T00:00:00Z"})
    assert nothing.notes == {} and nothing.changes == []


def test_an_export_job_writes_the_annotated_draft(worker, smtp, facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    queued = facilitator.post(f"/api/v1/rounds/{rid}/exports", json={"format": "annotated_docx"})
    assert queued.status_code == 202, queued.text
    done = wait_done(facilitator, queued.json()["id"])
    assert done["state"] == "done" and done["row_count"] == 9, done
    file = facilitator.get(f"/api/v1/exports/{done['id']}/file")
    assert file.status_code == 200 and file.headers["content-type"] == DOCX
    doc = read(file.content)
    assert len(doc.notes) == 11 and len(doc.changes) == 2


AZ_DRAFT = """Miqrantların inteqrasiyası strategiyası

Giriş: bu sənəd ictimai müzakirə üçündür.

# 1. Məşğulluğa çıxış

Miqrantlar işə qanuni yolla düzəlir. Əmək miqrantları hüquqlarını bilir.

Dövlət Məşğulluq Agentliyi məlumat masası açır:

- Bakıda;
- Gəncədə və Sumqayıtda.

## 1.1 Признание квалификаций

Дипломы, полученные за рубежом, признаются быстро и по предсказуемой цене.
"""


@pytest.fixture
def az_round(api, facilitator, directory, link_for):
    consultation = api.post("/api/v1/consultations", json={"title": "İnteqrasiya"}).json()
    document = api.post(
        "/api/v1/documents",
        json={"consultation_id": consultation["id"], "title": "İnteqrasiya strategiyası", "language": "az"},
    ).json()
    version = api.post(
        f"/api/v1/documents/{document['id']}/versions",
        files={"file": ("strategiya.md", AZ_DRAFT.encode(), "text/markdown")},
    )
    assert version.status_code == 201, version.text
    sections = {s["number"]: s for s in version.json()["sections"]}
    sections["1.1"] = sections["1"]["children"][0]
    from tests.rounds.conftest import from_now

    round_ = facilitator.post(
        "/api/v1/rounds",
        json={
            "document_version_id": version.json()["id"],
            "title": "Birinci müzakirə",
            "opens_at": from_now(hours=-1),
            "closes_at": from_now(days=10),
            "visibility": "participants",
            "person_ids": [p["id"] for p in directory.people.values()],
        },
    ).json()
    rid = round_["id"]
    gulnara, irina, luc = (link_for(rid, directory.person(e)) for e in (GULNARA, IRINA, LUC))
    rauf = link_for(rid, directory.person(RAUF))
    one, eleven = sections["1"]["key"], sections["1.1"]["key"]
    post(
        gulnara,
        rid,
        section_key=one,
        quote="Əmək miqrantları hüquqlarını bilir.",
        kind="amendment",
        body="Daha dəqiq yazaq.",
        proposed_text="Əmək miqrantları öz hüquqlarını və vəzifələrini bilir.",
    )
    # A competing amendment of the same passage: deleted once, both proposals inserted.
    post(
        rauf,
        rid,
        section_key=one,
        quote="Əmək miqrantları hüquqlarını bilir.",
        kind="amendment",
        body="Qısa olsun.",
        proposed_text="Miqrantlar hüquqlarını bilir.",
    )
    # Across a paragraph and into a list.
    post(
        irina,
        rid,
        section_key=one,
        quote="açır:\n\n- Bakıda",
        body="Список неполный.",
        attribution="organisation",
    )
    post(
        irina,
        rid,
        section_key=eleven,
        quote="Признание",
        kind="amendment",
        body="Точнее.",
        proposed_text="Подтверждение",
        attribution="anonymous",
    )
    post(
        luc, rid, section_key=eleven, kind="amendment", body="Add a deadline.", proposed_text="Срок: 60 дней."
    )
    return rid


def test_azerbaijani_and_cyrillic_text_and_tracked_changes(facilitator, az_round, tmp_path: Path):
    # In the draft's language unless the export asks for another (lang=).
    response = export(facilitator, az_round, "annotated_docx")
    doc = read(response.content)
    assert doc.paragraphs[:2] == [
        ("Title", "İnteqrasiya strategiyası"),
        (None, "Miqrantların inteqrasiyası strategiyası"),
    ]
    assert doc.headings == [("Heading1", "1. Məşğulluğa çıxış"), ("Heading2", "1.1 Признание квалификаций")]
    first = doc.by_header("1 · Düzəliş təklifi")
    second = doc.by_header("2 · Düzəliş təklifi")
    assert first.anchored == second.anchored == "Əmək miqrantları hüquqlarını bilir."
    assert first.inserted == "Əmək miqrantları öz hüquqlarını və vəzifələrini bilir."
    assert "Bu hissəni başqa düzəliş də dəyişir" in second.text
    assert second.inserted.endswith("Miqrantlar hüquqlarını bilir.")
    across = doc.by_header("3 · Şərh")
    assert across.author == "Migrant Support NGO"
    assert across.anchored == "açır:\nBakıda"  # the list marker is Word's bullet now
    heading = doc.by_header("4 · Düzəliş təklifi")
    assert heading.author == "Anonim" and heading.anchored == "Признание"
    assert heading.inserted == "Подтверждение"
    added = doc.by_header("5 · Düzəliş təklifi")
    assert added.anchored == "1.1 Признание квалификаций"
    assert "Təklif olunan mətn: Срок: 60 дней." in added.paragraphs
    kinds = [(c.kind, c.author, c.text) for c in doc.changes]
    assert kinds == [
        ("del", "Gülnarə Şükürova", "Əmək miqrantları hüquqlarını bilir."),
        ("ins", "Gülnarə Şükürova", "Əmək miqrantları öz hüquqlarını və vəzifələrini bilir."),
        ("ins", "Rauf Məmmədov", "Miqrantlar hüquqlarını bilir."),
        ("del", "Anonim", "Признание"),
        ("ins", "Anonim", "Подтверждение"),
        ("ins", "Luc Dubois", "Срок: 60 дней."),
    ]
    assert "1.1 Подтверждение квалификаций" in doc.accepted
    assert doc.accepted[-1] == "Срок: 60 дней."  # a paragraph inserted at the end of the section

    if SOFFICE is None:
        pytest.skip("soffice is not installed")
    source = tmp_path / "annotated.docx"
    source.write_bytes(response.content)
    odt = convert(source, "odt", tmp_path)
    with zipfile.ZipFile(odt) as archive:
        content = archive.read("content.xml").decode()
    assert content.count("<office:annotation ") == 5
    assert content.count("<text:changed-region ") == len(doc.changes)
    for text in ("Daha dəqiq yazaq.", "Список неполный.", "Подтверждение", "Gülnarə Şükürova"):
        assert text in content


@needs_soffice
def test_libreoffice_opens_the_annotated_draft(facilitator, scenario: Scenario, tmp_path: Path):
    source = tmp_path / "annotated.docx"
    source.write_bytes(export(facilitator, scenario.round["id"], "annotated_docx").content)
    pdf = convert(source, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    odt = convert(source, "odt", tmp_path)
    with zipfile.ZipFile(odt) as archive:
        content = archive.read("content.xml").decode()
    assert content.count("<office:annotation ") == 11
    for text in (
        "Мы поддерживаем это предложение.",
        "Add Farsi and Arabic: many refugees speak them.",
        "Farsi and Arabic added.",
        "Migrant Support NGO",
    ):
        assert text in content
    assert not [text for text in ABSENT if text in content]
