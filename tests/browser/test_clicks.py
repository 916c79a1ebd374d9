"""Clicking through the RSVP and round pages in a real headless Chromium, then checking what the
server kept through the API: the cancelled notice, a refused comment coming back as typed, writing,
editing and withdrawing one's own comment, and the same form sent twice."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from consult.invitations.models import Invitation
from consult.rounds.models import CommentRound
from tests.browser.conftest import PHONE, set_width, submit
from tests.browser.test_pages import PageUrl, page_url, text_of  # noqa: F401 - a fixture, an argument below
from tests.waiting import wait_until

REASON = "The hall is closed for repairs."


@dataclass
class RoundPage:
    url: str
    round_id: str
    reader: httpx.Client  # the same personal link, through the API

    def comments(self) -> list[dict]:
        """The reader's view of the round's top-level comments, through the API."""
        listed = self.reader.get(f"/api/v1/rounds/{self.round_id}/comments")
        assert listed.status_code == 200, listed.text
        return [comment for section in listed.json()["sections"] for comment in section["threads"]]


@pytest.fixture
def round_page(browser, page_url: PageUrl, db, client_for) -> RoundPage:  # noqa: F811
    """The round page of the Russian-speaking reader, open on a phone."""
    url = page_url("round", "ru")
    round_id = db.scalar(select(CommentRound.id))
    set_width(browser, PHONE)
    browser.get(url)
    return RoundPage(url, str(round_id), client_for(None, token=url.rsplit("/r/", 1)[1]))


def open_form(browser, form_id: str) -> WebElement:
    """The comment form ``form_id`` (a ``details``), opened."""
    details = browser.find_element(By.ID, form_id)
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    return details


def send_button(form: WebElement) -> WebElement:
    return form.find_element(By.CSS_SELECTOR, "button[type=submit]")


def test_the_rsvp_page_of_a_cancelled_event(browser, page_url: PageUrl, api, db):  # noqa: F811
    set_width(browser, PHONE)
    browser.get(page_url("rsvp", "az"))
    assert browser.find_elements(By.CSS_SELECTOR, "button[name=response]")
    event_id = db.scalar(select(Invitation.event_id))
    cancelled = api.post(f"/api/v1/events/{event_id}/cancel", json={"reason": REASON})
    assert cancelled.status_code == 200, cancelled.text
    browser.refresh()
    assert browser.find_elements(By.CSS_SELECTOR, "button[name=response]") == []
    assert browser.find_elements(By.TAG_NAME, "form") == []
    notice = browser.find_element(By.CSS_SELECTOR, ".notice[role=status]")
    assert REASON in notice.find_element(By.CSS_SELECTOR, ".reason").text


@pytest.mark.parametrize(
    ("body", "kind", "faulty"),
    [
        ("Добавить арабский язык в программу.", "amendment", "proposed_text"),  # an amendment proposes a text
        (" \n ", "comment", "body"),  # a body of spaces only, which the browser's `required` would stop
    ],
)
def test_a_refused_comment_comes_back_as_typed(
    browser, round_page: RoundPage, body: str, kind: str, faulty: str
):
    # From the contents to a section's page, where its form is.
    submit(browser, browser.find_element(By.CSS_SELECTOR, "nav.contents a[href*='/sections/']"))
    form_id = browser.find_element(By.CSS_SELECTOR, "section[id^=s-] details.write").get_attribute("id")
    form = open_form(browser, form_id)
    browser.execute_script("arguments[0].removeAttribute('required')", form.find_element(By.NAME, "body"))
    form.find_element(By.NAME, "body").send_keys(body)
    Select(form.find_element(By.NAME, "kind")).select_by_value(kind)
    form.find_element(By.NAME, "quote").send_keys("Цитата из раздела")
    Select(form.find_element(By.NAME, "attribution")).select_by_value("anonymous")
    submit(browser, send_button(form))

    form = browser.find_element(By.ID, form_id)
    assert form.get_attribute("open") is not None
    summary = form.find_element(By.CSS_SELECTOR, ".error-summary[role=alert]")
    assert summary.is_displayed()
    (link,) = summary.find_elements(By.TAG_NAME, "a")
    field = form.find_element(By.NAME, faulty)
    assert link.get_attribute("href").endswith(f"#{field.get_attribute('id')}")
    assert field.get_attribute("aria-invalid") == "true"
    assert form.find_element(By.NAME, "body").get_attribute("value") == body
    assert Select(form.find_element(By.NAME, "kind")).first_selected_option.get_attribute("value") == kind
    assert form.find_element(By.NAME, "quote").get_attribute("value") == "Цитата из раздела"
    assert Select(form.find_element(By.NAME, "attribution")).first_selected_option.get_attribute("value") == (
        "anonymous"
    )
    assert round_page.comments() == []
    # Back on the section's page: its heading, its text and the form.
    assert browser.find_element(By.ID, form_id.removeprefix("write-") + "-heading").is_displayed()


def test_write_edit_and_withdraw_a_comment(browser, round_page: RoundPage):
    form = open_form(browser, "write-draft")
    form.find_element(By.NAME, "body").send_keys("Добавить арабский язык.")
    submit(browser, send_button(form))
    (written,) = round_page.comments()
    assert browser.current_url.endswith(f"#c-{written['id']}")
    comment = browser.find_element(By.ID, f"c-{written['id']}")
    assert comment.find_element(By.CSS_SELECTOR, "p.text").text == "Добавить арабский язык."

    form = open_form(browser, f"edit-{written['id']}")
    form.find_element(By.NAME, "body").clear()
    form.find_element(By.NAME, "body").send_keys("Добавить арабский и персидский языки.")
    submit(browser, send_button(form))
    (edited,) = round_page.comments()
    assert edited["body"] == "Добавить арабский и персидский языки." and edited["edited_at"]
    comment = browser.find_element(By.ID, f"c-{written['id']}")
    assert comment.find_element(By.CSS_SELECTOR, "p.text").text == "Добавить арабский и персидский языки."
    assert "Добавить арабский язык." not in text_of(browser)

    submit(browser, comment.find_element(By.CSS_SELECTOR, "form.withdraw button"))
    (withdrawn,) = round_page.comments()
    assert withdrawn["status"] == "withdrawn"
    comment = browser.find_element(By.ID, f"c-{written['id']}")
    assert comment.find_elements(By.CSS_SELECTOR, "p.text, form.withdraw, #edit-" + written["id"]) == []


def test_the_same_form_sent_twice_writes_one_comment(browser, round_page: RoundPage):
    form = open_form(browser, "write-draft")
    form.find_element(By.NAME, "body").send_keys("Нужны курсы для взрослых.")
    page = browser.current_window_handle
    # The first click of a double click: its request reaches the server, and the second click sends
    # the same form again. The page's policy allows neither fetch nor frames, so the first send goes
    # to a window of its own.
    browser.execute_script("arguments[0].target = 'first-send'", form.find_element(By.TAG_NAME, "form"))
    send_button(form).click()
    (first,) = wait_until(round_page.comments, "the comment of the first send")
    (first_window,) = set(browser.window_handles) - {page}
    browser.switch_to.window(first_window)
    browser.close()
    browser.switch_to.window(page)
    browser.execute_script("arguments[0].removeAttribute('target')", form.find_element(By.TAG_NAME, "form"))

    submit(browser, send_button(form))
    assert [comment["id"] for comment in round_page.comments()] == [first["id"]]
    assert browser.current_url.endswith(f"#c-{first['id']}")
    assert text_of(browser).count("Нужны курсы для взрослых.") == 1
