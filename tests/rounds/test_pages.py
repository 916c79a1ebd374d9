"""The page behind the personal link: read the draft and the comments, comment and reply by form."""

from __future__ import annotations

import datetime as dt
import re
from uuid import UUID

import httpx
from sqlalchemy import update

from consult.rounds.models import CommentRound

IRINA = "i.petrova@ngo.example.org"
ANNA = "a.gruber@expert.example.org"


def page_client(server: str, client: httpx.Client) -> tuple[httpx.Client, str]:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return httpx.Client(base_url=server, follow_redirects=False), token


def test_comment_and_reply_through_the_page(make_round, link_for, directory, draft, server):
    round_ = make_round()
    browser, token = page_client(server, link_for(round_["id"], directory.person(IRINA)))
    page = browser.get(f"/r/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'lang="ru"' in page.text
    assert draft.section("1.1.3")["heading"] in page.text
    assert f'action="/r/{token}/comments#write-draft"' in page.text

    section = draft.section("1.1.3")["key"]
    sent = browser.post(
        f"/r/{token}/comments",
        data={
            "body": "<script>alert(1)</script> Добавить арабский язык.",
            "section_key": section,
            "kind": "comment",
        },
    )
    assert sent.status_code == 303, sent.text
    # Back to the section's page, at the comment.
    assert sent.headers["location"].startswith(f"/r/{token}/sections/{section}#c-")
    comment_id = sent.headers["location"].split("#c-")[1]
    page = browser.get(sent.headers["location"]).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Добавить арабский язык." in page
    assert "<script>alert(1)" not in page

    anna, anna_token = page_client(server, link_for(round_["id"], directory.person(ANNA)))
    reply = anna.post(f"/r/{anna_token}/comments", data={"body": "Agreed.", "parent_id": comment_id})
    assert reply.status_code == 303
    assert reply.headers["location"].startswith(f"/r/{anna_token}/sections/{section}#c-")
    shown = anna.get(reply.headers["location"]).text
    assert re.search(rf'id="c-{comment_id}".*Agreed\.', shown, re.S)

    bad_quote = browser.post(
        f"/r/{token}/comments", data={"body": "x", "section_key": section, "quote": "not in the text"}
    )
    assert bad_quote.status_code == 422 and "quote" in bad_quote.text


def test_closed_round_page_reads_but_refuses_comments(make_round, link_for, directory, server, db):
    round_ = make_round()
    browser, token = page_client(server, link_for(round_["id"], directory.person(ANNA)))
    closed = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.execute(update(CommentRound).where(CommentRound.id == UUID(round_["id"])).values(closes_at=closed))
    db.commit()
    page = browser.get(f"/r/{token}")
    assert page.status_code == 200 and "has closed" in page.text and "<form" not in page.text
    refused = browser.post(f"/r/{token}/comments", data={"body": "Late"})
    # The round closed while the person wrote: said in words, and the text is there to copy.
    assert refused.status_code == 409 and "your text was not sent" in refused.text
    assert 'readonly rows="5"' in refused.text and ">Late</textarea>" in refused.text


def test_unknown_link(server):
    response = httpx.get(f"{server}/r/csr_unknown")
    assert response.status_code == 404
