"""The round page as a stakeholder uses it: a refused comment keeps what was typed, a form sent twice
writes one comment, one's own comments are edited and withdrawn from the page, and a long draft is
navigable (contents, anchors, Markdown, dates, language marks)."""

from __future__ import annotations

import datetime as dt
import html
import random
import re
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from babel.dates import format_datetime
from sqlalchemy import func, select

from consult.rounds.models import Comment, CommentRevision
from consult.rounds.pages import _draft_html, _written
from tests.helpers import problem

GULNARA = "g.shukurova@migration.example.org"
IRINA = "i.petrova@ngo.example.org"


def page_of(server: str, client: httpx.Client) -> tuple[httpx.Client, str]:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return httpx.Client(base_url=server, follow_redirects=False), token


def form_key(page: str, form_id: str) -> str:
    form = page[page.index(f'id="{form_id}"') :]
    match = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert match, form[:2000]
    return match.group(1)


def comment_count(db, round_id: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Comment).where(Comment.round_id == UUID(round_id)))


def test_a_refused_comment_comes_back_as_typed_with_the_error_at_the_form(
    make_round, link_for, directory, draft, server, db
):
    round_ = make_round()
    browser, token = page_of(server, link_for(round_["id"], directory.person(GULNARA)))
    section = draft.section("1.1.3")["key"]
    form_id = f"write-{section}"
    page = browser.get(f"/r/{token}/sections/{section}").text
    assert f'action="/r/{token}/comments#{form_id}"' in page
    assert 'maxlength="20000"' in page and "required" in page
    typed = {
        "body": "x" * 20_001,
        "section_key": section,
        "kind": "amendment",
        "quote": "information desk",
        "proposed_text": "Bir mərkəz <b>hər</b> rayonda.",
        "attribution": "organisation",
        "on_behalf_of_organisation": "true",
        "idempotency_key": form_key(page, form_id),
    }
    refused = browser.post(f"/r/{token}/comments", data=typed)
    assert refused.status_code == 422
    shown = refused.text
    assert "Expected" not in shown and "$.body" not in shown
    form = shown[shown.index(f'<details class="write" id="{form_id}" open>') :]
    form = form[: form.index("</details>")]
    # The summary at the top of the form links to the field; the message sits next to it, in az.
    assert 'class="error-summary"' in form and f'href="#{form_id}-body"' in form
    assert f'id="{form_id}-body-error"' in form and f'aria-describedby="{form_id}-body-error"' in form
    assert "Şərhinizi yazın" in form  # noqa: RUF001 - Azerbaijani
    assert ">" + "x" * 20_001 + "</textarea>" in form
    assert 'value="information desk"' in form
    assert "Bir mərkəz &lt;b&gt;hər&lt;/b&gt; rayonda." in form
    assert '<option value="amendment" selected>' in form
    assert '<option value="organisation" selected>' in form
    assert 'name="on_behalf_of_organisation" value="true" checked' in form
    assert f'value="{typed["idempotency_key"]}"' in form
    assert comment_count(db, round_["id"]) == 0


def test_blank_comments_are_refused_on_the_page_and_in_the_api(make_round, link_for, directory, server, db):
    round_ = make_round()
    client = link_for(round_["id"], directory.person(IRINA))
    for blank in ("   ", " \n\t "):
        problem(client.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": blank}), 422, "body")
        browser, token = page_of(server, client)
        refused = browser.post(f"/r/{token}/comments", data={"body": blank})
        assert refused.status_code == 422
        assert 'href="#write-draft-body"' in refused.text and "Напишите комментарий" in refused.text
    assert comment_count(db, round_["id"]) == 0


def test_the_same_idempotency_key_gives_the_first_comment(make_round, link_for, directory, server, db):
    round_ = make_round()
    client = link_for(round_["id"], directory.person(IRINA))
    url = f"/api/v1/rounds/{round_['id']}/comments"
    first = client.post(url, json={"body": "Once."}, headers={"Idempotency-Key": "k-1"})
    again = client.post(url, json={"body": "Once."}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    other = client.post(url, json={"body": "Once."}, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # Another author's key is theirs alone.
    gulnara = link_for(round_["id"], directory.person(GULNARA))
    assert gulnara.post(url, json={"body": "Mine."}, headers={"Idempotency-Key": "k-1"}).status_code == 201
    assert comment_count(db, round_["id"]) == 3

    # Sent at the same moment, the same key still writes one comment.
    with ThreadPoolExecutor(8) as pool:
        sent = list(
            pool.map(
                lambda _: client.post(url, json={"body": "Race."}, headers={"Idempotency-Key": "race"}),
                range(8),
            )
        )
    assert sorted({r.status_code for r in sent}) in ([200, 201], [201]), [r.text for r in sent]
    assert [r.status_code for r in sent].count(201) == 1
    assert len({r.json()["id"] for r in sent}) == 1
    assert comment_count(db, round_["id"]) == 4


def test_a_page_form_sent_twice_writes_one_comment(make_round, link_for, directory, server, db):
    round_ = make_round()
    browser, token = page_of(server, link_for(round_["id"], directory.person(IRINA)))
    page = browser.get(f"/r/{token}").text
    key = form_key(page, "write-draft")
    assert key != form_key(browser.get(f"/r/{token}").text, "write-draft")  # one per page shown
    first = browser.post(f"/r/{token}/comments", data={"body": "Twice?", "idempotency_key": key})
    second = browser.post(f"/r/{token}/comments", data={"body": "Twice?", "idempotency_key": key})
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert comment_count(db, round_["id"]) == 1


def test_edit_and_withdraw_ones_own_comment_from_the_page(make_round, link_for, directory, draft, server, db):
    round_ = make_round()
    browser, token = page_of(server, link_for(round_["id"], directory.person(IRINA)))
    section = draft.section("1.1.3")["key"]
    sent = browser.post(f"/r/{token}/comments", data={"body": "First text.", "section_key": section})
    comment_id = sent.headers["location"].split("#c-")[1]
    page = browser.get(f"/r/{token}/sections/{section}").text
    assert f'action="/r/{token}/comments/{comment_id}#edit-{comment_id}"' in page
    assert f'action="/r/{token}/comments/{comment_id}/withdraw"' in page

    edited = browser.post(
        f"/r/{token}/comments/{comment_id}",
        data={
            "body": "Second text.",
            "kind": "question",
            "quote": "",
            "proposed_text": "",
            "attribution": "named",
        },
    )
    assert (
        edited.status_code == 303
        and edited.headers["location"] == f"/r/{token}/sections/{section}#c-{comment_id}"
    )
    db.expire_all()
    comment = db.get(Comment, UUID(comment_id))
    assert comment is not None and comment.body == "Second text." and comment.kind.value == "question"
    revision = db.scalar(select(CommentRevision).where(CommentRevision.comment_id == comment.id))
    assert revision is not None and revision.body == "First text."

    blank = browser.post(f"/r/{token}/comments/{comment_id}", data={"body": "  ", "kind": "question"})
    assert blank.status_code == 422
    assert f'<details class="write" id="edit-{comment_id}" open>' in blank.text

    # Someone else's comment cannot be changed with this link.
    other, other_token = page_of(server, link_for(round_["id"], directory.person(GULNARA)))
    assert other.post(f"/r/{other_token}/comments/{comment_id}", data={"body": "Hijack"}).status_code == 404
    assert other.post(f"/r/{other_token}/comments/{comment_id}/withdraw").status_code == 404
    assert f"/comments/{comment_id}/withdraw" not in other.get(f"/r/{other_token}/sections/{section}").text

    withdrawn = browser.post(f"/r/{token}/comments/{comment_id}/withdraw")
    assert withdrawn.status_code == 303
    db.expire_all()
    assert db.get(Comment, UUID(comment_id)).withdrawn_at is not None


def test_the_draft_is_navigable(make_round, link_for, directory, draft, server, api):
    round_ = make_round()
    client = link_for(round_["id"], directory.person(GULNARA))
    section = draft.section("1.1.3")
    response = client.post(
        f"/api/v1/rounds/{round_['id']}/comments",
        json={"body": "Rəsmi mövqe.", "section_key": section["key"], "on_behalf_of_organisation": True},
    )
    assert response.status_code == 201, response.text
    browser, token = page_of(server, client)
    page = browser.get(f"/r/{token}").text
    contents = page[page.index('<nav class="contents"') : page.index("</nav>")]
    section_url = f"/r/{token}/sections/{section['key']}"
    assert f'href="{section_url}"' in contents and html.escape(section["heading"]) in contents
    assert re.search(rf'href="{section_url}">.*?\(şərhlər: 1\)', contents)
    assert 'id="s-s-' not in page
    # The draft's own title and introduction are the draft, above the contents and the comments on it.
    assert (
        page.index("Integration strategy")
        < page.index("Draft for consultation")
        < page.index("contents-heading")
    )
    assert page.index('<nav class="contents"') < page.index('<h2 id="comments">')
    assert '<div class="draft-text" lang="en">' in page
    # The overview holds no section's text nor its comments: each section has a page of its own.
    assert "Rəsmi mövqe." not in page and "explains the recognition procedure" not in page

    shown = browser.get(section_url)
    assert shown.status_code == 200
    page = shown.text
    assert f'<section class="draft" id="{section["key"]}"' in page and 'id="s-s-' not in page
    assert f'href="/r/{token}#contents-heading"' in page  # back to the contents
    assert "<li>explains the recognition procedure" in page and "- explains" not in page
    assert re.search(r'<time datetime="[^"]+\+04:00">', page)  # Baku time, the reader's zone
    assert "Təşkilatın rəsmi mövqeyi" in page  # noqa: RUF001 - Azerbaijani
    assert "Rəsmi mövqe." in page
    # The sections before and after it are a link away.
    before, after = draft.section("1.1.2"), draft.section("1.2")
    assert f'href="/r/{token}/sections/{before["key"]}" rel="prev"' in page
    assert f'href="/r/{token}/sections/{after["key"]}" rel="next"' in page


def test_draft_markdown_lets_no_html_through():
    rendered = str(
        _draft_html("<script>alert(1)</script>\n\n*a* [b](javascript:alert(1)) <img src=x onerror=y>")
    )
    assert "<script" not in rendered and "<img" not in rendered and 'href="javascript' not in rendered
    assert "<em>a</em>" in rendered


def test_comment_dates_read_as_babel_writes_them():
    """The page's date formatting (patterns looked up once, each day formatted once) says what
    ``babel.dates.format_datetime`` says, in every language and across zones and DST changes."""
    rng = random.Random(7)
    for language in ("az", "ru", "en", "fr"):
        for zone in map(ZoneInfo, ("Asia/Baku", "Europe/Brussels", "America/New_York")):
            for _ in range(200):
                when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                    seconds=rng.randrange(400 * 86400)
                )
                expected = format_datetime(when, "medium", tzinfo=zone, locale=language)
                assert _written(language)(when.astimezone(zone)) == expected, (language, zone, when)
