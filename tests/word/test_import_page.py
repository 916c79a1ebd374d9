# ruff: noqa: RUF001, F811
"""The round page's Word upload, over HTTP as a browser sends it: the form on the page, the file
posted as multipart, 303 to the page of what it became (in the reader's language), and a refused
file answered with that page saying why, nothing saved."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from consult.rounds.models import Comment
from tests.rounds.conftest import directory, facilitator, from_now, link_for  # noqa: F401
from tests.word.test_import_api import DOCX, fixture, word_round  # noqa: F401

IRINA = "i.petrova@ngo.example.org"  # reads the pages in Russian
RAUF = "r.mammadov@migration.example.org"  # in Azerbaijani


def page_client(server: str, client: httpx.Client) -> tuple[httpx.Client, str]:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return httpx.Client(base_url=server, follow_redirects=False), token


def upload(browser: httpx.Client, token: str, content: bytes) -> httpx.Response:
    return browser.post(f"/r/{token}/word-feedback", files={"file": ("returned.docx", content, DOCX)})


def test_the_round_page_takes_a_word_file_and_shows_what_it_became(
    word_round, link_for, directory, server, db
):
    round_ = word_round()
    browser, token = page_client(server, link_for(round_["id"], directory.person(IRINA)))
    page = browser.get(f"/r/{token}").text
    assert f'action="/r/{token}/word-feedback"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Отправьте комментарии файлом Word" in page

    sent = upload(browser, token, fixture("strategy_word"))

    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert location.startswith(f"/r/{token}/word-feedback/")
    result = browser.get(location)
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/html")
    assert result.headers["cache-control"] == "no-store"
    assert 'lang="ru"' in result.text and "Ваш файл Word импортирован" in result.text
    assert (
        '<th scope="row" style="text-align:left;padding:4px 12px 4px 0">Комментарии</th><td>7</td>'
        in result.text
    )
    assert "Поправки (записанные исправления)</th><td>3</td>" in result.text
    assert "1.1 Recognition of qualifications" in result.text
    assert "Tracked change in Word by Rauf Məmmədov: replace “60” with “30”." in result.text
    assert db.scalar(select(func.count()).select_from(Comment)) == 11

    # The same file again (the back button, a second click): the same page, nothing new.
    again = upload(browser, token, fixture("strategy_word"))
    assert again.status_code == 303 and again.headers["location"] == location
    assert db.scalar(select(func.count()).select_from(Comment)) == 11


def test_a_refused_file_answers_with_the_reason_in_the_readers_language_and_saves_nothing(
    word_round, link_for, directory, server, db
):
    round_ = word_round()
    browser, token = page_client(server, link_for(round_["id"], directory.person(RAUF)))

    refused = upload(browser, token, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    assert refused.status_code == 422
    assert 'lang="az"' in refused.text and "Word faylınız idxal edilmədi" in refused.text
    assert "Fayl parolla qorunur" in refused.text
    assert f'action="/r/{token}/word-feedback"' in refused.text  # the form, to send another

    not_word = upload(browser, token, b"plain text")
    assert not_word.status_code == 422 and "Fayl Word sənədi (.docx) deyil." in not_word.text
    missing = browser.post(f"/r/{token}/word-feedback", data={"nothing": "here"})
    assert missing.status_code == 422 and "Yükləmək üçün Word faylı seçin." in missing.text
    assert db.scalar(select(func.count()).select_from(Comment)) == 0

    assert browser.get(f"/r/{token}/word-feedback/not-a-digest").status_code == 404
    assert upload(browser, "csr_unknown", fixture("strategy_word")).status_code == 404
