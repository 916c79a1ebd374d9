"""A page per section of the round's draft (``/r/{token}/sections/{key}``) and the overview
(``/r/{token}``): each lists only its own threads, a page of them at a time; the contents count what
the reader may see; a form comes back to the page it was on; and a page weighs the same however many
comments the rest of the round holds."""

from __future__ import annotations

import datetime as dt
import re
from uuid import UUID

import httpx
from sqlalchemy import insert
from uuid_utils.compat import uuid7

from consult.rounds.models import Comment
from consult.rounds.pages import THREADS_PER_PAGE

GULNARA = "g.shukurova@migration.example.org"
IRINA = "i.petrova@ngo.example.org"
RAUF = "r.mammadov@migration.example.org"

_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def page_of(server: str, client: httpx.Client) -> tuple[httpx.Client, str]:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return httpx.Client(base_url=server, follow_redirects=False), token


def add_threads(
    db, round_id: str, author_id: str, section_key: str | None, count: int, replies: int = 0
) -> list[str]:
    """``count`` top-level comments (each with ``replies`` replies) written straight to the database,
    a minute apart, after those added before; their ids, oldest first."""
    rows, roots = [], []
    for index in range(count):
        at = _START + dt.timedelta(minutes=add_threads.minutes)  # type: ignore[attr-defined]
        add_threads.minutes += 1 + replies  # type: ignore[attr-defined]
        root = uuid7()
        roots.append(str(root))
        for n in range(replies + 1):
            comment_id = root if n == 0 else uuid7()
            rows.append(
                {
                    "id": comment_id,
                    "round_id": UUID(round_id),
                    "author_id": UUID(author_id),
                    "thread_id": root,
                    "parent_id": None if n == 0 else root,
                    "section_key": section_key,
                    "kind": "comment",
                    "body": f"Comment {index}.{n} on {section_key or 'the draft'}.",
                    "attribution": "named",
                    "created_at": at + dt.timedelta(minutes=n),
                    "updated_at": at + dt.timedelta(minutes=n),
                }
            )
    db.execute(insert(Comment), rows)
    db.commit()
    return roots


add_threads.minutes = 0  # type: ignore[attr-defined]


def shown_comments(page: str) -> list[str]:
    return re.findall(r'<article class="comment" id="c-([0-9a-f-]+)"', page)


def pager(page: str) -> str:
    """The list of pages of threads ("" when they fit on one)."""
    start = page.find('<nav class="pages"')
    return "" if start < 0 else page[start : page.index("</nav>", start)]


def count_in_contents(page: str, url: str) -> int:
    contents = page[page.index('<nav class="contents"') : page.index("</nav>")]
    match = re.search(rf'href="{re.escape(url)}">.*?\((?:comments|şərhlər|комментарии): (\d+)\)', contents)
    assert match, contents
    return int(match.group(1))


def test_a_section_page_lists_its_own_threads_a_page_at_a_time(
    make_round, link_for, directory, draft, server, db, facilitator
):
    round_ = make_round()
    client = link_for(round_["id"], directory.person(GULNARA))
    browser, token = page_of(server, client)
    author = directory.person(RAUF)
    busy, quiet, other = (
        draft.section("1.1.3")["key"],
        draft.section("1.2.1")["key"],
        draft.section("2.1")["key"],
    )
    threads = add_threads(db, round_["id"], author, busy, 2 * THREADS_PER_PAGE + 5, replies=1)
    quiet_threads = add_threads(db, round_["id"], author, quiet, 3)
    add_threads(db, round_["id"], author, other, 4)
    on_draft = add_threads(db, round_["id"], author, None, THREADS_PER_PAGE + 1)
    hidden = facilitator.post(f"/api/v1/comments/{quiet_threads[0]}/hide", json={"reason": "Off-topic"})
    assert hidden.status_code == 200, hidden.text

    url = f"/r/{token}/sections/{busy}"
    first = browser.get(url).text
    # Only this section's threads, the oldest first, replies under them.
    ids = shown_comments(first)
    assert ids[::2] == threads[:THREADS_PER_PAGE] and len(ids) == 2 * THREADS_PER_PAGE
    assert "Səhifə 1 / 3" in pager(first)
    assert f'href="{url}?page=2#comments" rel="next"' in pager(first) and 'rel="prev"' not in pager(first)
    second = browser.get(f"{url}?page=2").text
    assert shown_comments(second)[::2] == threads[THREADS_PER_PAGE : 2 * THREADS_PER_PAGE]
    assert f'href="{url}#comments" rel="prev"' in pager(second)
    assert f'href="{url}?page=3#comments" rel="next"' in pager(second)
    last = browser.get(f"{url}?page=3").text
    assert shown_comments(last)[::2] == threads[2 * THREADS_PER_PAGE :]
    # A page past the last one (an old link) shows the last one; page 0 is no page.
    assert shown_comments(browser.get(f"{url}?page=99").text) == shown_comments(last)
    no_page = browser.get(f"{url}?page=0", headers={"Accept": "text/html"})
    assert no_page.status_code == 422 and no_page.headers["content-type"].startswith("text/html")

    # The contents count the threads each section's page lists, as the API lists them: the hidden
    # comment is in neither.
    overview = browser.get(f"/r/{token}").text
    for key, expected in ((busy, len(threads)), (quiet, 2), (other, 4)):
        listed = client.get(
            f"/api/v1/rounds/{round_['id']}/comments", params={"section_key": key, "limit": 1}
        )
        assert count_in_contents(overview, f"/r/{token}/sections/{key}") == listed.json()["total"] == expected
    assert count_in_contents(overview, f"/r/{token}/sections/{draft.section('1.1.1')['key']}") == 0
    assert count_in_contents(overview, "#comments") == len(on_draft)
    quiet_page = browser.get(f"/r/{token}/sections/{quiet}").text
    assert shown_comments(quiet_page) == quiet_threads[1:] and pager(quiet_page) == ""

    # The overview holds the comments on the whole draft, paged the same way, and no section's.
    assert shown_comments(overview) == on_draft[:THREADS_PER_PAGE]
    assert shown_comments(browser.get(f"/r/{token}?page=2").text) == on_draft[THREADS_PER_PAGE:]


def test_a_round_with_visibility_for_facilitators_counts_only_ones_own(
    make_round, link_for, directory, draft, server, db
):
    round_ = make_round(visibility="facilitators")
    browser, token = page_of(server, link_for(round_["id"], directory.person(GULNARA)))
    section = draft.section("1.1.3")["key"]
    add_threads(db, round_["id"], directory.person(RAUF), section, 5)
    mine = add_threads(db, round_["id"], directory.person(GULNARA), section, 2)
    overview = browser.get(f"/r/{token}").text
    assert count_in_contents(overview, f"/r/{token}/sections/{section}") == 2
    assert shown_comments(browser.get(f"/r/{token}/sections/{section}").text) == mine


def test_forms_come_back_to_the_page_they_were_on(make_round, link_for, directory, draft, server, db):
    round_ = make_round()
    browser, token = page_of(server, link_for(round_["id"], directory.person(IRINA)))
    section = draft.section("1.1.3")["key"]
    threads = add_threads(db, round_["id"], directory.person(RAUF), section, THREADS_PER_PAGE + 5)
    url = f"/r/{token}/sections/{section}"

    # Each comment links to a page with the form to reply to it, under the comment.
    second = browser.get(f"{url}?page=2").text
    assert f'href="/r/{token}/comments/{threads[-1]}/reply"' in second and 'id="reply-' not in second
    reply_page = browser.get(f"/r/{token}/comments/{threads[-1]}/reply").text
    assert f'<details class="write" id="reply-{threads[-1]}" open>' in reply_page
    assert f'name="parent_id" value="{threads[-1]}"' in reply_page and f'id="c-{threads[-1]}"' in reply_page
    assert f'href="{url}?page=2#c-{threads[-1]}"' in reply_page  # back to where it was
    # A reply to a thread on page 2 goes back to page 2; a new comment, the newest, to the last page.
    reply = browser.post(f"/r/{token}/comments", data={"body": "Согласна.", "parent_id": threads[-1]})
    assert reply.status_code == 303 and reply.headers["location"].startswith(f"{url}?page=2#c-")
    assert f'id="{reply.headers["location"].split("#")[1]}"' in browser.get(reply.headers["location"]).text
    sent = browser.post(f"/r/{token}/comments", data={"body": "Новый.", "section_key": section, "page": "1"})
    assert sent.headers["location"].startswith(f"{url}?page=2#c-")

    # Refused, the new comment's form comes back on the page it was sent from, open, as typed.
    refused = browser.post(
        f"/r/{token}/comments",
        data={"body": "Текст.", "section_key": section, "quote": "not in the text", "page": "2"},
    )
    assert refused.status_code == 422
    form = refused.text[refused.text.index(f'<details class="write" id="write-{section}" open>') :]
    assert ">Текст.</textarea>" in form and 'value="not in the text"' in form
    assert shown_comments(refused.text)[0] == threads[THREADS_PER_PAGE]
    # So does a refused reply, at its thread's page.
    blank = browser.post(f"/r/{token}/comments", data={"body": "  ", "parent_id": threads[-1]})
    assert blank.status_code == 422
    assert f'<details class="write" id="reply-{threads[-1]}" open>' in blank.text
    assert f'id="c-{threads[-1]}"' in blank.text


def test_an_unknown_section_is_a_page_in_the_readers_language(make_round, link_for, directory, server):
    round_ = make_round()
    browser, token = page_of(server, link_for(round_["id"], directory.person(GULNARA)))
    missing = browser.get(f"/r/{token}/sections/s-nosuchthing", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert 'lang="az"' in missing.text and f'href="/r/{token}#contents-heading"' in missing.text
    assert "This section is not in the draft" not in missing.text
    for comment_id in ("01a22cce-0000-7000-8000-000000000000", str(uuid7())):
        unseen = browser.get(f"/r/{token}/comments/{comment_id}/reply")
        assert unseen.status_code == 404 and 'lang="az"' in unseen.text
        assert "Bu şərh bu mərhələdə göstərilmir" in unseen.text
    gone = browser.get("/r/csr_nosuchtoken/sections/s-nosuchthing", headers={"Accept-Language": "ru"})
    assert gone.status_code == 404 and "Ссылка больше не действительна" in gone.text


def test_a_page_weighs_the_same_however_many_comments_the_rest_of_the_round_holds(
    make_round, link_for, directory, draft, server, db
):
    """A quiet section's page, and the overview, before and after other sections and the whole draft
    gain hundreds of comments: the section's page does not change, the overview only in its counts."""
    round_ = make_round()
    browser, token = page_of(server, link_for(round_["id"], directory.person(GULNARA)))
    quiet, busy = draft.section("1.2.1")["key"], draft.section("1.1.3")["key"]
    add_threads(db, round_["id"], directory.person(RAUF), quiet, 3, replies=1)
    add_threads(db, round_["id"], directory.person(RAUF), busy, 2)
    add_threads(db, round_["id"], directory.person(RAUF), None, THREADS_PER_PAGE + 1)

    def sizes() -> tuple[int, int]:
        section = browser.get(f"/r/{token}/sections/{quiet}").text
        overview = browser.get(f"/r/{token}").text
        return len(section.encode()), len(overview.encode())

    section_before, overview_before = sizes()
    add_threads(db, round_["id"], directory.person(RAUF), busy, 300, replies=2)
    add_threads(db, round_["id"], directory.person(RAUF), None, 300)
    section_after, overview_after = sizes()
    assert section_after == section_before
    # Only the counts changed: "(şərhlər: 2)" became "(şərhlər: 302)", and "Səhifə 1 / 2" "Səhifə 1 / 17".
    assert overview_before < overview_after < overview_before + 1_000
