# ruff: noqa: F811, RUF001
"""The Word upload in a real headless Chromium: chosen with the page's file input and sent with its
button (no script), landing on the page of what the file became; that page and the refusal page
pass axe-core at desktop and phone widths."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.browser.conftest import WIDTHS, axe_violations, browser, set_width, submit  # noqa: F401
from tests.rounds.conftest import directory, facilitator, from_now, link_for  # noqa: F401
from tests.word.test_import_api import fixture, word_round  # noqa: F401

IRINA = "i.petrova@ngo.example.org"


def send_with_the_form(browser, path: Path) -> None:
    browser.find_element("id", "word-feedback-file").send_keys(str(path))
    button = browser.find_element("css selector", "form[action$='/word-feedback'] button[type=submit]")
    submit(browser, button)


@pytest.mark.parametrize("width", WIDTHS)
def test_upload_a_word_file_from_the_round_page(browser, word_round, link_for, directory, server, width):
    round_ = word_round()
    token = link_for(round_["id"], directory.person(IRINA)).headers["Authorization"].removeprefix("Bearer ")
    set_width(browser, width)
    browser.get(f"{server}/r/{token}")
    assert browser.find_element("id", "word-feedback-heading").text == "Отправьте комментарии файлом Word"

    with tempfile.TemporaryDirectory() as tmp:
        good, bad = Path(tmp) / "returned.docx", Path(tmp) / "old.doc.docx"
        good.write_bytes(fixture("strategy_word"))
        bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))

        send_with_the_form(browser, good)
        assert "/word-feedback/" in browser.current_url
        assert browser.find_element("tag name", "h1").text == "Ваш файл Word импортирован"
        assert axe_violations(browser) == []
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width

        send_with_the_form(browser, bad)  # the form on the result page sends another file
        assert browser.find_element("tag name", "h1").text == "Ваш файл Word не импортирован"
        assert "защищён паролем" in browser.find_element("css selector", "[role=alert]").text
        assert axe_violations(browser) == []


RAUF = "r.mammadov@migration.example.org"


@pytest.mark.parametrize(
    ("email", "lang", "heading", "label"),
    [
        (RAUF, "az", "Şərhlərinizi Word faylı kimi göndərin", "Word faylı (.docx)"),
        (IRINA, "ru", "Отправьте комментарии файлом Word", "Файл Word (.docx)"),
    ],
)
def test_the_upload_ends_the_overview_of_the_section_pages_and_passes_axe(
    browser, word_round, link_for, directory, server, email, lang, heading, label
):
    """On the round's overview (the draft's contents; each section has a page of its own), the upload
    comes last, after the comments on the whole draft, labelled in the reader's language."""
    round_ = word_round()
    token = link_for(round_["id"], directory.person(email)).headers["Authorization"].removeprefix("Bearer ")
    for width in WIDTHS:
        set_width(browser, width)
        browser.get(f"{server}/r/{token}")
        assert browser.find_element("tag name", "html").get_attribute("lang") == lang
        assert browser.find_element("id", "word-feedback-heading").text == heading
        assert browser.find_element("css selector", "label[for=word-feedback-file]").text == label
        last = browser.execute_script(
            "const s = [...document.querySelectorAll('main section')]; return s[s.length - 1].id"
        )
        assert last == "word-feedback"
        assert axe_violations(browser) == []
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
