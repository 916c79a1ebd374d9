# ruff: noqa: RUF001, F811
"""Word in, over real HTTP: a returned .docx (as Word writes it, and as LibreOffice does) becomes
comments, replies and amendments in the right sections with the right quotes; sending it again
creates nothing; a dry run writes nothing; staff record files on someone's behalf; and files that
are not what they should be are refused with a problem, writing nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import httpx
import pytest
from sqlalchemy import func, select

from consult.auth.models import Role
from consult.rounds.models import Comment
from consult.uploads import WORD_MAX_UNPACKED_BYTES as MAX_UNPACKED_BYTES
from tests.helpers import problem
from tests.rounds.conftest import Directory, directory, facilitator, from_now, link_for  # noqa: F401
from tests.word.import_docs import FIXTURES, WordFile

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RAUF = "r.mammadov@migration.example.org"
IRINA = "i.petrova@ngo.example.org"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.docx").read_bytes()


def files(content: bytes, name: str = "returned.docx") -> dict:
    return {"file": (name, content, DOCX)}


@pytest.fixture
def word_round(api, facilitator, directory: Directory):
    """A round on the draft the fixtures were made from, everyone of the directory invited."""

    def make(draft: str = "strategy_draft", language: str = "en", **overrides) -> dict:
        consultation = api.post("/api/v1/consultations", json={"title": "Integration strategy"}).json()
        document = api.post(
            "/api/v1/documents",
            json={
                "consultation_id": consultation["id"],
                "title": "Integration strategy",
                "language": language,
            },
        ).json()
        version = api.post(
            f"/api/v1/documents/{document['id']}/versions", files=files(fixture(draft), f"{draft}.docx")
        )
        assert version.status_code == 201, version.text
        body = {
            "document_version_id": version.json()["id"],
            "title": "Comments in Word",
            "opens_at": from_now(hours=-1),
            "closes_at": from_now(days=10),
            "person_ids": [p["id"] for p in directory.people.values()],
            **overrides,
        }
        response = facilitator.post("/api/v1/rounds", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


def send(client: httpx.Client, round_id: str, content: bytes, **params) -> httpx.Response:
    data = {k: v for k, v in params.items() if k in ("person_id", "organisation_id")}
    query = {k: v for k, v in params.items() if k == "dry_run"}
    return client.post(
        f"/api/v1/rounds/{round_id}/word-feedback", files=files(content), data=data, params=query
    )


def comments(facilitator: httpx.Client, round_id: str) -> list[dict]:
    """Every comment of the round, replies after their parent, with its section's number."""
    tree = facilitator.get(f"/api/v1/rounds/{round_id}/comments", params={"limit": 200}).json()
    out: list[dict] = []

    def walk(comment: dict, number: str | None) -> None:
        out.append({**comment, "number": number})
        for reply in comment["replies"]:
            walk(reply, number)

    for section in tree["sections"]:
        for thread in section["threads"]:
            walk(thread, section["number"])
    return out


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(Comment))


def by_quote(found: list[dict], quote: str | None, number: str | None) -> dict:
    [match] = [c for c in found if c["quote"] == quote and c["number"] == number and c["parent_id"] is None]
    return match


@pytest.mark.parametrize("name", ["strategy_word", "strategy_libreoffice", "strategy_writer"])
def test_a_returned_word_file_becomes_comments_in_their_sections(
    word_round, link_for, facilitator, directory, name
):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))

    response = send(rauf, round_["id"], fixture(name))

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"] == {
        "comments": 7,
        "replies": 1,
        "amendments": 3,
        "whole_draft": 1,
        "already_imported": 0,
    }
    assert report["sections_matched"] == 5 and report["headings_unmatched"] == []
    assert len(report["lines"]) == 11
    found = comments(facilitator, round_["id"])
    assert len(found) == 11
    assert {c["source"] for c in found} == {"word"}
    assert {c["author"]["full_name"] for c in found} == {"Rauf Məmmədov"}

    title = by_quote(found, None, None)  # anchored on the title: the draft as a whole, nothing more said
    assert title["body"] == "Gülnarə Şükürova (in Word): The ministry supports the strategy as a whole."
    diplomas = by_quote(found, "recognition of foreign diplomas", "1")
    assert (
        diplomas["body"] == "Which diplomas: higher education only, or vocational too?"
    )  # the uploader's own
    [reply] = diplomas["replies"]
    assert reply["body"] == "Ирина Петрова (in Word): Vocational diplomas too, please."
    heading = by_quote(found, None, "1.1")  # on the heading: the section, no quote
    assert heading["body"] == "This objective needs a budget line."
    in_list = by_quote(found, "refers migrants to vacancies", "1.1")
    assert in_list["body"] == "Also to apprenticeships.\nSee the Labour Code, article 12."
    in_table = by_quote(found, "Azerbaijani for adults", "1.2")
    assert in_table["body"] == "120 hours are too few for beginners."
    russian = by_quote(found, "публикует руководство для работодателей", "2")
    assert russian["body"] == "Ирина Петрова (in Word): Руководство должно выходить на трёх языках."
    azerbaijani = by_quote(found, "Bakı şəhərində", "3")
    assert azerbaijani["body"].endswith("Sumqayıt da əlavə edilməlidir.")

    amendments = {c["number"]: c for c in found if c["kind"] == "amendment"}
    assert {n: (a["quote"], a["proposed_text"]) for n, a in amendments.items()} == {
        "1": ("60", "30"),
        "2": ("работодателей ежегодно.", "работодателей."),
        "3": ("şəhərində", "şəhərində və Gəncədə"),
    }
    assert amendments["1"]["body"] == "Tracked change in Word by Rauf Məmmədov: replace “60” with “30”."


def test_the_same_file_twice_creates_nothing_new(word_round, link_for, facilitator, directory, db):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))
    first = send(rauf, round_["id"], fixture("strategy_word")).json()
    before = count(db)

    again = send(rauf, round_["id"], fixture("strategy_word"))

    assert again.status_code == 200, again.text
    report = again.json()
    assert report["counts"]["already_imported"] == 11
    assert report["counts"]["comments"] == report["counts"]["amendments"] == 0
    assert "nothing new" in report["summary"]
    assert [line["comment_id"] for line in report["lines"]] == [line["comment_id"] for line in first["lines"]]
    assert count(db) == before


def test_a_dry_run_reports_and_writes_nothing(word_round, link_for, facilitator, directory, db):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))

    dry = send(rauf, round_["id"], fixture("strategy_word"), dry_run="true")

    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True
    assert report["counts"]["comments"] == 7 and report["counts"]["amendments"] == 3
    assert all(line["comment_id"] is None for line in report["lines"])
    assert "would create" in report["summary"]
    assert count(db) == 0
    real = send(rauf, round_["id"], fixture("strategy_word")).json()
    assert real["counts"] == report["counts"]


def test_a_retitled_and_edited_file_is_placed_and_what_has_no_place_goes_on_the_whole_draft(
    word_round,
    link_for,
    facilitator,
    directory,
):
    round_ = word_round("retitled_draft")
    rauf = link_for(round_["id"], directory.person(RAUF))

    report = send(rauf, round_["id"], fixture("retitled_word")).json()

    assert report["headings_unmatched"] == ["4. Our proposals"]
    assert report["counts"]["whole_draft"] == 2  # the comment and the change under the new heading
    found = comments(facilitator, round_["id"])
    edited = next(c for c in found if "One procedure for all diplomas." in c["body"])
    # Edited without tracking: the section is right, the words are not the draft's; they are kept.
    assert edited["number"] == "1" and edited["quote"] is None
    assert edited["body"].startswith("On “a single procedure”: ")
    renamed = next(c for c in found if "And for returnees." in c["body"])
    assert renamed["number"] == "1.2" and renamed["quote"] == "Courses are free for refugees"
    new = next(c for c in found if "We propose a helpline." in c["body"])
    assert new["number"] is None
    assert "“4. Our proposals”, which this draft does not have" in new["body"]
    assert "On “A helpline for migrant workers”" in new["body"]
    change = next(c for c in found if c["kind"] == "amendment")
    assert change["number"] is None and change["proposed_text"] == "workers open every day."
    lines = {line["excerpt"][:20]: line for line in report["lines"]}
    assert all(line["note"] for line in lines.values() if line["section_key"] is None)


def test_staff_record_a_file_for_a_person_or_as_an_organisations_position(
    api,
    word_round,
    facilitator,
    directory: Directory,
    client_for,
):
    round_ = word_round()
    irina = directory.person(IRINA)
    report = send(facilitator, round_["id"], fixture("strategy_word"), person_id=irina).json()
    assert report["person_id"] == irina and report["on_behalf_of_organisation"] is False

    organisation = directory.organisations["State Migration Service"]["id"]
    official = send(facilitator, round_["id"], fixture("strategy_libreoffice"), organisation_id=organisation)
    assert official.status_code == 200, official.text
    body = official.json()
    assert body["on_behalf_of_organisation"] is True
    assert body["person_id"] in (
        directory.person("g.shukurova@migration.example.org"),
        directory.person(RAUF),
    )
    made = [c for c in comments(facilitator, round_["id"]) if c["on_behalf_of_organisation"]]
    assert len(made) == 11 and {c["attribution"] for c in made} == {"organisation"}

    problem(send(facilitator, round_["id"], fixture("strategy_word")), 422, "person_id")
    stranger = api.post("/api/v1/people", json={"full_name": "Not Invited", "email": "n@x.example.org"})
    problem(
        send(facilitator, round_["id"], fixture("strategy_word"), person_id=stranger.json()["id"]),
        422,
        "person_id",
    )
    problem(send(client_for(Role.ORGANISER), round_["id"], fixture("strategy_word"), person_id=irina), 403)


def test_a_round_link_uploads_only_as_its_own_person_and_only_to_its_round(
    word_round,
    link_for,
    facilitator,
    directory: Directory,
):
    round_, other = word_round(), word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))
    problem(send(rauf, round_["id"], fixture("strategy_word"), person_id=directory.person(IRINA)), 403)
    problem(send(rauf, other["id"], fixture("strategy_word")), 404)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(fixture("strategy_word")))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
        with target.open("word/media/padding.bin", "w", force_zip64=True) as padding:
            chunk = bytes(1024 * 1024)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                padding.write(chunk)
    return out.getvalue()


def _unrelated() -> bytes:
    return (
        WordFile()
        .heading(1, "Minutes of the board meeting")
        .para("Present: the board.")
        .para("Approved: the budget.")
        .note("x", "Someone", "Unrelated.")
        .returned()
    )


def _with_broken_xml() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(fixture("strategy_word")))
    members = {m.filename: source.read(m) for m in source.infolist()}
    members["word/document.xml"] = members["word/document.xml"][:-200]
    return _zip(members)


def _corrupted() -> bytes:
    """The document part's compressed bytes overwritten in the middle: it no longer inflates."""
    content = bytearray(fixture("strategy_word"))
    member = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("word/document.xml")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    middle = start + member.compress_size // 2
    content[middle : middle + 64] = bytes(range(64))
    return bytes(content)


def _unknown_method() -> bytes:
    """The document part said (in the zip's central directory) to be compressed with a method
    zipfile does not know (97: WavPack)."""
    content = bytearray(fixture("strategy_word"))
    entry = content.find(b"PK\x01\x02")  # the first central directory entry
    while not content[entry + 46 :].startswith(b"word/document.xml"):
        entry = content.find(b"PK\x01\x02", entry + 4)
    content[entry + 10 : entry + 12] = (97).to_bytes(2, "little")
    return bytes(content)


MALFORMED = {
    "not a zip": (b"Dear colleagues, our comments are below.", 422, "not a Word document"),
    "a zip, not a .docx": (_zip({"notes.txt": b"hello"}), 422, "a zip archive, not a Word document"),
    "an Excel workbook": (_zip({"xl/workbook.xml": b"<workbook/>"}), 422, "an Excel workbook"),
    "encrypted (OLE2)": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), 422, "password-protected"),
    "truncated zip": (fixture("strategy_word")[:5000], 422, "damaged"),
    "broken XML": (_with_broken_xml(), 422, "cannot be read"),
    "corrupted compressed data": (_corrupted(), 422, "cannot be read"),
    "unknown compression method": (_unknown_method(), 422, "cannot be read"),
    "empty": (b"", 422, "empty"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_file_that_is_not_a_returned_draft_is_refused_with_a_problem_and_writes_nothing(
    word_round,
    link_for,
    facilitator,
    directory,
    db,
    case,
):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))
    content, status, words = MALFORMED[case]

    body = problem(send(rauf, round_["id"], content), status, "file")

    assert words in body["detail"] + " ".join(e["reason"] for e in body.get("errors", []))
    assert count(db) == 0


def test_a_zip_bomb_is_refused_before_it_is_unpacked(word_round, link_for, facilitator, directory, db):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))
    content = _bomb()
    assert len(content) < 1_000_000

    body = problem(send(rauf, round_["id"], content), 413, "file")

    assert f"{MAX_UNPACKED_BYTES:,}" in body["detail"]
    assert count(db) == 0


def test_a_file_unrelated_to_the_draft_is_refused_and_one_with_nothing_in_it_says_so(
    word_round,
    link_for,
    facilitator,
    directory,
    db,
):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))

    body = problem(send(rauf, round_["id"], _unrelated()), 422, "file")
    assert "does not look like this round's draft" in body["errors"][0]["reason"]
    assert "nothing was imported" in body["errors"][0]["reason"]

    clean = send(rauf, round_["id"], fixture("strategy_draft"))
    assert clean.status_code == 200, clean.text
    assert clean.json()["lines"] == []
    assert "no Word comments and no tracked changes" in clean.json()["summary"]
    assert count(db) == 0


def test_a_closed_round_takes_no_file_and_nothing_is_half_written(
    word_round, link_for, facilitator, directory, db
):
    round_ = word_round()
    rauf = link_for(round_["id"], directory.person(RAUF))
    assert facilitator.post(f"/api/v1/rounds/{round_['id']}/close").status_code == 200

    problem(send(rauf, round_["id"], fixture("strategy_word")), 409)
    assert count(db) == 0


def test_the_fixtures_are_the_files_the_builder_makes():
    """The Word-shaped files are rebuilt byte for byte apart from the zip's timestamps: the committed
    fixtures are what import_docs.py says they are."""
    from tests.word.import_docs import strategy

    def parts(content: bytes) -> dict[str, bytes]:
        archive = zipfile.ZipFile(io.BytesIO(content))
        return {
            m.filename: archive.read(m) for m in archive.infolist() if not m.filename.startswith("docProps")
        }

    assert parts(strategy().returned()) == parts(fixture("strategy_word"))
    assert parts(strategy().draft()) == parts(fixture("strategy_draft"))
    assert docx.Document(io.BytesIO(fixture("strategy_libreoffice"))).paragraphs
    assert Path(FIXTURES / "strategy_libreoffice.docx").stat().st_size > 0


def test_a_comment_on_a_tracked_change_is_its_reason_and_consults_own_export_reads_back(
    word_round, link_for, facilitator, directory
):
    """A Word user's comment on a change, and an amendment as the annotated export writes it (the
    header, the passage deleted and the proposal inserted inside the comment's range, the answer as
    a reply, an amendment without a passage as an inserted paragraph), each become one amendment
    with the comment's own text; the facilitators' answer is not feedback and is left out."""
    round_ = word_round("changes_draft")
    rauf = link_for(round_["id"], directory.person(RAUF))

    report = send(rauf, round_["id"], fixture("changes_word")).json()

    assert report["counts"]["amendments"] == 4 and report["counts"]["replies"] == 0
    found = {(c["number"], c["quote"]): c for c in comments(facilitator, round_["id"])}
    assert len(found) == 4
    assert all(c["kind"] == "amendment" for c in found.values())
    why = found["1", "60"]
    assert (why["proposed_text"], why["body"]) == ("30", "Thirty days is what the law on services allows.")
    other = found["1", "costs."]  # the paragraph's change nobody commented on
    assert other["proposed_text"] == "is free of charge."
    exported = found["2", "temporary"]
    assert exported["proposed_text"] == "decent"
    assert exported["body"] == "Decent, not temporary.\nFor families too."  # no header, no author prefix
    no_passage = found["2", None]
    assert (no_passage["proposed_text"], no_passage["body"]) == (
        "Rents are capped for the first year.",
        "A cap on rents.",
    )


def test_what_the_import_writes_is_in_the_drafts_language(word_round, link_for, facilitator, directory):
    round_ = word_round(language="ru")
    rauf = link_for(round_["id"], directory.person(RAUF))

    assert send(rauf, round_["id"], fixture("strategy_word")).status_code == 200

    found = comments(facilitator, round_["id"])
    bodies = {c["body"] for c in found}
    assert "Ирина Петрова (в Word): Руководство должно выходить на трёх языках." in bodies
    assert "Исправление в Word (Rauf Məmmədov): заменить «60» на «30»." in bodies
