from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from consult.auth.models import Role
from consult.drafts.fixtures import strategy_docx, strategy_markdown
from consult.settings import get_settings
from tests.helpers import problem

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
UNKNOWN_ID = "018f4a7e-0000-7000-8000-000000000000"


@pytest.fixture
def consultation(api):
    response = api.post("/api/v1/consultations", json={"title": "Migrant integration strategy 2026-2030"})
    assert response.status_code == 201, response.text
    return response.json()


def create_document(client, consultation_id: str, title: str = "Strategy on the integration of migrants"):
    response = client.post(
        "/api/v1/documents", json={"consultation_id": consultation_id, "title": title, "language": "en"}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def document(api, consultation):
    return create_document(api, consultation["id"])


def upload(
    client, document_id: str, content: bytes, filename: str = "strategy.md", media_type="text/markdown"
):
    return client.post(
        f"/api/v1/documents/{document_id}/versions", files={"file": (filename, content, media_type)}
    )


def uploaded(client, document_id: str, content: bytes, filename: str = "strategy.md") -> dict:
    response = upload(client, document_id, content, filename)
    assert response.status_code == 201, response.text
    return response.json()


def flatten(sections: list[dict]) -> list[dict]:
    return [s for section in sections for s in [section, *flatten(section["children"])]]


def outline(version: dict) -> list[tuple[str, str, str]]:
    return [(s["number"], s["heading"], s["body"]) for s in flatten(version["sections"])]


def test_documents_are_created_listed_renamed_and_read(api, consultation):
    other = api.post("/api/v1/consultations", json={"title": "Training course"}).json()
    document = create_document(api, consultation["id"])
    assert document["language"] == "en"
    assert document["versions"] == []
    create_document(api, other["id"], title="Training curriculum")

    listed = api.get("/api/v1/documents", params={"consultation_id": consultation["id"]}).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == document["id"]
    assert api.get("/api/v1/documents").json()["total"] == 2

    renamed = api.patch(f"/api/v1/documents/{document['id']}", json={"title": " Strategy, draft "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Strategy, draft"
    assert api.get(f"/api/v1/documents/{document['id']}").json()["title"] == "Strategy, draft"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"language": "de"}, "language"),
        ({"title": ""}, "title"),
        ({"consultation_id": UNKNOWN_ID}, "consultation_id"),
    ],
)
def test_invalid_documents_are_refused_naming_the_field(api, consultation, overrides, field):
    body = {"consultation_id": consultation["id"], "title": "Strategy", "language": "az", **overrides}
    problem(api.post("/api/v1/documents", json=body), 422, field)


def test_a_markdown_version_becomes_a_numbered_tree_of_sections(api, document):
    version = uploaded(api, document["id"], strategy_markdown(1))
    assert version["number"] == 1
    assert version["format"] == "markdown"
    assert version["filename"] == "strategy.md"
    assert version["section_count"] == 33
    assert version["preamble"].startswith("National Strategy of the Republic of Azerbaijan")

    pillars = version["sections"]
    assert [p["number"] for p in pillars] == ["1", "2", "3", "4"]
    assert pillars[0]["heading"] == "Pillar 1 — Access to employment"
    assert [o["number"] for o in pillars[1]["children"]] == ["2.1", "2.2", "2.3"]
    objective = pillars[0]["children"][0]
    assert objective["heading"] == "Objective 1.1 — Recognition of qualifications"
    action = objective["children"][2]
    assert action["number"] == "1.1.3"
    assert action["heading"] == "Action 1.1.3 — One-stop information desk at the State Employment Agency"
    assert action["body"].endswith("- works in Azerbaijani, Russian and English.")
    assert action["children"] == []
    keys = [s["key"] for s in flatten(pillars)]
    assert len(set(keys)) == 33
    assert all(key.startswith("s-") for key in keys)

    assert api.get(f"/api/v1/documents/{document['id']}/versions/1").json() == version
    listed = api.get(f"/api/v1/documents/{document['id']}").json()["versions"]
    assert listed == [
        {
            "number": 1,
            "id": version["id"],
            "created_at": version["created_at"],
            "filename": "strategy.md",
            "format": "markdown",
            "section_count": 33,
        }
    ]


def test_a_word_version_reads_like_the_same_text_in_markdown(api, consultation, document):
    from_markdown = uploaded(api, document["id"], strategy_markdown(1))
    other = create_document(api, consultation["id"], title="Strategy (Word)")
    response = upload(api, other["id"], strategy_docx(1), "Strategiya layihəsi.docx", DOCX_TYPE)
    assert response.status_code == 201, response.text
    from_word = response.json()
    assert from_word["format"] == "docx"
    assert from_word["filename"] == "Strategiya layihəsi.docx"
    assert from_word["preamble"] == from_markdown["preamble"]
    assert outline(from_word) == outline(from_markdown)
    russian = "«Путеводитель мигранта»"
    assert russian in flatten(from_word["sections"])[27]["body"]


def test_keys_follow_sections_into_the_next_version(api, document):
    v1 = uploaded(api, document["id"], strategy_markdown(1))
    v2 = uploaded(api, document["id"], strategy_docx(2), "strategy-v2.docx")
    assert v2["number"] == 2
    old = {s["number"]: s for s in flatten(v1["sections"])}
    new = {s["number"]: s for s in flatten(v2["sections"])}

    assert new["1.1.3"]["key"] == old["1.1.3"]["key"]  # body changed
    assert new["2.1"]["heading"] == "Objective 2.1 — Access to affordable and decent housing"
    assert new["2.1"]["key"] == old["2.1"]["key"]  # renamed, number kept
    assert new["1.2.2"]["key"] == old["1.2.1"]["key"]  # renumbered, heading kept
    assert new["1.2.3"]["key"] == old["1.2.2"]["key"]
    assert new["1.2.1"]["key"] not in {s["key"] for s in old.values()}  # inserted
    assert "4.2.3" not in new  # removed
    unchanged = set(old) - {"1.2.1", "1.2.2", "4.2.3"}
    assert all(new[number]["key"] == old[number]["key"] for number in unchanged)


def test_the_diff_lists_added_removed_and_changed_sections_in_draft_order(api, document):
    uploaded(api, document["id"], strategy_markdown(1))
    uploaded(api, document["id"], strategy_markdown(2))
    response = api.get(f"/api/v1/documents/{document['id']}/versions/2/diff", params={"against": 1})
    assert response.status_code == 200, response.text
    diff = response.json()
    assert (diff["number"], diff["against"]) == (2, 1)
    assert diff["summary"] == {"added": 1, "removed": 1, "changed": 5, "unchanged": 27}
    assert [(s["change"], s["number"] or s["old_number"]) for s in diff["sections"]] == [
        ("changed", "1.1.3"),
        ("added", "1.2.1"),
        ("changed", "1.2.2"),
        ("changed", "1.2.3"),
        ("changed", "2.1"),
        ("changed", "2.3.2"),
        ("removed", "4.2.3"),
    ]
    desk = diff["sections"][0]
    assert "+- is also present once a week in the ASAN service centres." in desk["diff"].split("\n")
    assert desk["diff"].startswith("--- v1 1.1.3\n+++ v2 1.1.3\n")
    renumbered = diff["sections"][2]
    assert (renumbered["old_number"], renumbered["number"]) == ("1.2.1", "1.2.2")
    renamed = diff["sections"][4]
    assert renamed["old_heading"] == "Objective 2.1 — Affordable housing"
    assert "-Objective 2.1 — Affordable housing" in renamed["diff"]
    removed = diff["sections"][6]
    assert (removed["number"], removed["heading"], removed["diff"]) == (None, None, None)
    assert removed["old_heading"] == "Action 4.2.3 — Advisory council for migrants' affairs"

    default = api.get(f"/api/v1/documents/{document['id']}/versions/2/diff").json()
    assert default == diff
    everything = api.get(
        f"/api/v1/documents/{document['id']}/versions/2/diff", params={"include_unchanged": True}
    ).json()
    assert len(everything["sections"]) == 34
    assert everything["sections"][0]["change"] == "unchanged"
    backwards = api.get(f"/api/v1/documents/{document['id']}/versions/1/diff", params={"against": 2}).json()
    assert backwards["summary"] == {"added": 1, "removed": 1, "changed": 5, "unchanged": 27}


def test_diff_needs_a_version_to_compare_with(api, document):
    uploaded(api, document["id"], strategy_markdown(1))
    path = f"/api/v1/documents/{document['id']}/versions/1/diff"
    problem(api.get(path), 422, "against")
    problem(api.get(path, params={"against": 7}), 422, "against")
    problem(api.get(path, params={"against": 0}), 422, "against")


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (PNG, "strategy.png", "neither a Word document nor UTF-8 text"),
        (b"", "strategy.md", "empty"),
        (b"A draft without any heading.\n", "strategy.md", "no headings found"),
        (b"PK\x03\x04broken", "strategy.docx", "damaged Word document"),
        (PNG, "strategy.docx", "named .docx but is not a Word document"),
    ],
)
def test_bad_uploads_are_refused_and_the_next_good_one_takes_the_next_number(
    api, document, content, filename, reason
):
    uploaded(api, document["id"], strategy_markdown(1))
    body = problem(upload(api, document["id"], content, filename), 422, "file")
    assert reason in body["errors"][0]["reason"]
    assert len(api.get(f"/api/v1/documents/{document['id']}").json()["versions"]) == 1
    assert uploaded(api, document["id"], strategy_markdown(2))["number"] == 2


def test_files_over_the_limit_are_refused(api, document):
    limit = get_settings().uploads.draft_max_bytes
    just_over = b"# Pillar 1\n" + b"x" * limit
    body = problem(upload(api, document["id"], just_over), 413, "file")
    assert f"{limit:,}" in body["detail"]
    problem(upload(api, document["id"], just_over * 2), 413)  # refused by Litestar before it is read
    assert uploaded(api, document["id"], strategy_markdown(1))["number"] == 1


def test_an_upload_without_a_file_field_names_it(api, document):
    response = api.post(
        f"/api/v1/documents/{document['id']}/versions", files={"draft": ("strategy.md", b"# Pillar 1\n")}
    )
    problem(response, 422, "file")


def test_simultaneous_uploads_never_share_or_skip_a_number(api, document):
    content = strategy_markdown(1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: upload(api, document["id"], content), range(4)))
    assert {r.status_code for r in responses} <= {201, 409}
    for response in responses:
        if response.status_code == 409:
            problem(response, 409)
    created = sorted(r.json()["number"] for r in responses if r.status_code == 201)
    assert created == list(range(1, len(created) + 1))
    versions = api.get(f"/api/v1/documents/{document['id']}").json()["versions"]
    assert [v["number"] for v in versions] == created


def test_facilitators_create_documents_and_publish_versions(client_for, consultation):
    facilitator = client_for(Role.FACILITATOR)
    document = create_document(facilitator, consultation["id"])
    assert uploaded(facilitator, document["id"], strategy_docx(1), "strategy.docx")["number"] == 1
    admin = client_for(Role.ADMIN)
    assert admin.get(f"/api/v1/documents/{document['id']}/versions/1").status_code == 200
    anonymous = client_for(None)
    problem(anonymous.get(f"/api/v1/documents/{document['id']}"), 401)
    problem(upload(anonymous, document["id"], strategy_markdown(1)), 401)


def test_unknown_documents_and_versions_are_404(api, document):
    problem(api.get(f"/api/v1/documents/{UNKNOWN_ID}"), 404)
    problem(api.patch(f"/api/v1/documents/{UNKNOWN_ID}", json={"title": "x"}), 404)
    problem(api.delete(f"/api/v1/documents/{UNKNOWN_ID}"), 404)
    problem(upload(api, UNKNOWN_ID, strategy_markdown(1)), 404)
    problem(api.get(f"/api/v1/documents/{UNKNOWN_ID}/versions/1"), 404)
    problem(api.get(f"/api/v1/documents/{document['id']}/versions/1"), 404)
    problem(api.get(f"/api/v1/documents/{document['id']}/versions/1/diff?against=1"), 404)


def test_a_document_with_versions_is_deleted_with_them(api, db, document):
    uploaded(api, document["id"], strategy_markdown(1))
    uploaded(api, document["id"], strategy_markdown(2))
    assert api.delete(f"/api/v1/documents/{document['id']}").status_code == 204
    problem(api.get(f"/api/v1/documents/{document['id']}"), 404)
    assert db.execute(text("SELECT count(*) FROM document_section")).scalar() == 0


def test_a_document_whose_version_is_referenced_is_not_deleted(api, db, consultation, document):
    version = uploaded(api, document["id"], strategy_markdown(1))
    # Stands in for the comment rounds to come, which point at a version with ON DELETE RESTRICT.
    db.execute(
        text(
            "CREATE TABLE test_round_on_version (version_id uuid NOT NULL "
            "REFERENCES document_version (id) ON DELETE RESTRICT)"
        )
    )
    db.execute(text("INSERT INTO test_round_on_version VALUES (:id)"), {"id": version["id"]})
    db.commit()
    try:
        problem(api.delete(f"/api/v1/documents/{document['id']}"), 409)
        assert api.get(f"/api/v1/documents/{document['id']}/versions/1").json() == version
    finally:
        db.execute(text("DROP TABLE test_round_on_version"))
        db.commit()
    problem(api.delete(f"/api/v1/consultations/{consultation['id']}"), 409)  # it has a document
    assert api.delete(f"/api/v1/documents/{document['id']}").status_code == 204
