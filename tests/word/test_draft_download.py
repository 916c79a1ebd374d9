# ruff: noqa: RUF001, F811
"""The round page's clean draft, over real HTTP: a stakeholder's link downloads the draft as a Word
file without comments (every heading in place, named for people), a comment and a tracked change
added to it in Word (python-docx here) come back through the page's upload in the right section
with the right passage, a bad link answers the invalid-link page, and the page links the file."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote

import docx
import httpx
from docx.oxml.parser import parse_xml
from docx.text.paragraph import Paragraph
from sqlalchemy import select

from consult.drafts.models import DocumentSection
from consult.rounds.models import CommentRound
from consult.word.annotated import heading_text
from tests.rounds.conftest import directory, facilitator, from_now, link_for  # noqa: F401
from tests.word.test_import_api import DOCX, comments, word_round  # noqa: F401

RAUF = "r.mammadov@migration.example.org"  # reads the pages in Azerbaijani
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def stakeholder(server: str, client: httpx.Client) -> tuple[httpx.Client, str]:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return httpx.Client(base_url=server, follow_redirects=False), token


def sections(db, round_id: str) -> list[DocumentSection]:
    version_id = db.scalar(select(CommentRound.document_version_id).where(CommentRound.id == round_id))
    return list(
        db.scalars(
            select(DocumentSection)
            .where(DocumentSection.version_id == version_id)
            .order_by(DocumentSection.position)
        )
    )


def body_paragraphs(document) -> list[tuple[str, Paragraph]]:
    """Each body paragraph with the heading it is under, as the file shows the heading."""
    out: list[tuple[str, Paragraph]] = []
    heading: str | None = None
    for paragraph in document.paragraphs:
        if paragraph.style.name.startswith("Heading"):
            heading = paragraph.text
        elif heading is not None and len(paragraph.text.split()) >= 6:
            out.append((heading, paragraph))
    return out


def split(paragraph: Paragraph, passage: str):
    """The paragraph as three runs, the middle one exactly ``passage``, as Word cuts a selection."""
    text = paragraph.text
    start = text.index(passage)
    paragraph.clear()
    paragraph.add_run(text[:start])
    middle = paragraph.add_run(passage)
    paragraph.add_run(text[start + len(passage) :])
    return middle


def track_change(run, inserted: str) -> None:
    """Word's tracked replacement: the run's text deleted, ``inserted`` inserted after it."""
    attrs = f'w:author="Rauf Məmmədov" w:date="2026-11-30T10:00:00Z" xmlns:w="{W}"'
    deleted = parse_xml(
        f'<w:del w:id="901" {attrs}><w:r><w:delText xml:space="preserve">{run.text}</w:delText></w:r></w:del>'
    )
    insertion = parse_xml(
        f'<w:ins w:id="902" {attrs}><w:r><w:t xml:space="preserve">{inserted}</w:t></w:r></w:ins>'
    )
    run._r.addprevious(deleted)
    run._r.addprevious(insertion)
    run._r.getparent().remove(run._r)


def test_the_draft_downloads_clean_and_comes_back_with_its_comments(
    word_round, link_for, directory, facilitator, server, db
):
    round_ = word_round()
    browser, token = stakeholder(server, link_for(round_["id"], directory.person(RAUF)))

    response = browser.get(f"/r/{token}/draft.docx")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    [name] = re.findall(r"filename\*=UTF-8''(\S+)", disposition)
    assert unquote(name) == "Integration strategy v1.docx"

    content = response.content
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        parts = package.namelist()
        document_xml = package.read("word/document.xml").decode()
    assert not [part for part in parts if "comments" in part.lower()]
    assert "commentRangeStart" not in document_xml and "commentReference" not in document_xml
    assert "<w:ins " not in document_xml and "<w:del " not in document_xml

    document = docx.Document(io.BytesIO(content))
    title = document.paragraphs[0]
    assert title.style.name == "Title" and title.text == "Integration strategy"
    shown = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    expected = sections(db, round_["id"])
    assert expected and shown == [heading_text(section) for section in expected]
    assert len(document.comments) == 0

    # Annotated in Word: a comment on a passage of one section, a tracked change in another.
    by_heading = {heading_text(section): section for section in expected}
    body = body_paragraphs(document)
    commented_heading, commented = body[0]
    changed_heading, changed = next((h, p) for h, p in body if h != commented_heading)
    comment_quote = " ".join(commented.text.split()[1:5])
    change_quote = " ".join(changed.text.split()[1:4])
    document.add_comment(
        split(commented, comment_quote), text="Bu hissəni dəqiqləşdirin.", author="Rauf Məmmədov"
    )
    track_change(split(changed, change_quote), "yeni mətn")
    returned = io.BytesIO()
    document.save(returned)

    sent = browser.post(
        f"/r/{token}/word-feedback", files={"file": ("returned.docx", returned.getvalue(), DOCX)}
    )
    assert sent.status_code == 303, sent.text

    found = comments(facilitator, round_["id"])
    assert [(c["number"], c["kind"], c["quote"]) for c in found if c["kind"] != "amendment"] == [
        (by_heading[commented_heading].number, "comment", comment_quote)
    ]
    [note] = [c for c in found if c["kind"] != "amendment"]
    assert "Bu hissəni dəqiqləşdirin." in note["body"]
    [amendment] = [c for c in found if c["kind"] == "amendment"]
    assert amendment["number"] == by_heading[changed_heading].number
    assert (amendment["quote"], amendment["proposed_text"]) == (change_quote, "yeni mətn")
    assert all(c["number"] is not None for c in found)  # nothing put on the whole draft


def test_a_bad_link_answers_the_invalid_link_page(word_round, link_for, directory, server):
    round_ = word_round()
    browser, token = stakeholder(server, link_for(round_["id"], directory.person(RAUF)))

    response = browser.get(f"/r/{token[:-4]}xxxx/draft.docx")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "content-disposition" not in response.headers


def test_the_round_page_links_the_draft_in_the_readers_language(word_round, link_for, directory, server):
    round_ = word_round()
    browser, token = stakeholder(server, link_for(round_["id"], directory.person(RAUF)))

    page = browser.get(f"/r/{token}").text

    assert 'lang="az"' in page
    assert f'<a href="/r/{token}/draft.docx" download>Layihəni Word faylı kimi endirin (.docx)</a>' in page
    assert "Word sənədi, şərhlərsiz" in page
