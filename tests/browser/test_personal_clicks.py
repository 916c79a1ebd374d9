"""Clicking through the personal page (/p/{token}) in a real headless Chromium: its forms hand out a
fresh RSVP or round link and redirect there (post/redirect/get), an invitation withdrawn since the
page was opened leads to a page in the reader's language, and the empty page is accessible.

The page has no field to type in: its forms are buttons, each posting to mint a link."""

from __future__ import annotations

from uuid import UUID

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from sqlalchemy import func, select

from consult.directory.links import new_person_link
from consult.invitations.models import Invitation, RsvpLink
from consult.mail.i18n import gettext
from consult.settings import get_settings
from tests.browser.conftest import PHONE, assert_accessible, read_in, set_width, submit
from tests.browser.test_personal import COMMENT, READER, PersonalPage, personal_page  # noqa: F401
from tests.rounds.conftest import Directory


def item(browser, heading: str, title: str) -> WebElement:
    """The entry of the list under the heading with id ``heading`` that names ``title``."""
    entries = browser.find_elements(By.CSS_SELECTOR, f"h2#{heading} + ul.items > li")
    (found,) = [entry for entry in entries if title in entry.text]
    return found


def lang_of(browser) -> str:
    return browser.find_element(By.TAG_NAME, "html").get_attribute("lang")


def test_answer_an_invitation_from_the_personal_page(browser, personal_page, db):  # noqa: F811
    page: PersonalPage = personal_page("az")
    read_in(browser, "en-US")  # the page goes by the person's language, not the browser's
    set_width(browser, PHONE)
    browser.get(page.url)
    title = page.events[0]["title"]
    submit(browser, item(browser, "invitations", title).find_element(By.CSS_SELECTOR, "form.go button"))
    # The POST answered with a redirect: the browser shows the RSVP page it got with a GET.
    assert "/rsvp/rsvp_" in browser.current_url and "/p/" not in browser.current_url
    assert lang_of(browser) == "az" and browser.find_element(By.TAG_NAME, "h1").text == title
    links = db.scalar(select(func.count()).select_from(RsvpLink))
    browser.refresh()  # reloads the RSVP page: no second link minted, nothing sent again
    assert db.scalar(select(func.count()).select_from(RsvpLink)) == links

    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[value=accepted]"))
    assert browser.current_url.endswith("?recorded=true")
    browser.get(page.url)
    answer = gettext("az", "Your current answer: %(answer)s") % {"answer": gettext("az", "I will attend")}
    assert answer in item(browser, "invitations", title).text
    # The cancelled event offers no button.
    assert item(browser, "invitations", page.events[1]["title"]).find_elements(By.TAG_NAME, "form") == []


def test_open_the_round_from_the_personal_page(browser, personal_page):  # noqa: F811
    page: PersonalPage = personal_page("ru")
    set_width(browser, PHONE)
    browser.get(page.url)
    title = page.round_["title"]
    submit(browser, item(browser, "rounds", title).find_element(By.CSS_SELECTOR, "form.go button"))
    assert "/r/csr_" in browser.current_url and "/p/" not in browser.current_url
    assert lang_of(browser) == "ru" and browser.find_element(By.TAG_NAME, "h1").text == title
    assert COMMENT in browser.find_element(By.TAG_NAME, "main").text  # the reader's own comment

    # The same round from the list of the reader's comments.
    browser.get(page.url)
    submit(browser, item(browser, "comments", title).find_element(By.CSS_SELECTOR, "form.go button"))
    assert "/r/csr_" in browser.current_url


@pytest.mark.parametrize("language", ["az", "ru"])
def test_an_invitation_withdrawn_since_the_page_was_opened(
    browser,
    personal_page,  # noqa: F811
    api,
    db,
    language: str,
):
    page: PersonalPage = personal_page(language)
    read_in(browser, "en-US")
    set_width(browser, PHONE)
    browser.get(page.url)
    event = page.events[0]
    invitation_id = db.scalar(
        select(Invitation.id).where(
            Invitation.event_id == UUID(event["id"]), Invitation.person_id == UUID(page.person_id)
        )
    )
    links = db.scalar(select(func.count()).select_from(RsvpLink))
    withdrawn = api.delete(f"/api/v1/events/{event['id']}/invitations/{invitation_id}")
    assert withdrawn.status_code == 204, withdrawn.text

    submit(
        browser, item(browser, "invitations", event["title"]).find_element(By.CSS_SELECTOR, "form.go button")
    )
    assert lang_of(browser) == language
    assert browser.find_element(By.TAG_NAME, "h1").text == gettext(language, "This link is no longer valid")
    assert db.scalar(select(func.count()).select_from(RsvpLink)) == links  # no link to a dead invitation
    assert_accessible(browser)

    # Back on the page, the invitation is gone from the list.
    browser.get(page.url)
    assert event["title"] not in browser.find_element(By.TAG_NAME, "main").text


@pytest.mark.parametrize("language", ["az", "ru"])
def test_the_empty_page_in_the_browser(browser, server, db, directory: Directory, language: str):
    person_id = UUID(directory.person(READER[language]))
    token = new_person_link(db, person_id, get_settings()).rsplit("/p/", 1)[1]
    db.commit()
    browser.get(f"{server}/p/{token}")
    assert lang_of(browser) == language
    text = browser.find_element(By.TAG_NAME, "main").text
    for empty in ("No invitations yet.", "No comment rounds yet.", "No comments yet."):
        assert gettext(language, empty) in text
    assert browser.find_elements(By.TAG_NAME, "form") == []
    assert_accessible(browser)


def test_a_round_the_reader_was_removed_from_since_the_page_was_opened(
    browser,
    personal_page,  # noqa: F811
    facilitator,
):
    page: PersonalPage = personal_page("ru")
    read_in(browser, "en-US")
    set_width(browser, PHONE)
    browser.get(page.url)
    round_id = page.round_["id"]
    removed = facilitator.delete(f"/api/v1/rounds/{round_id}/invitees/{page.person_id}")
    assert removed.status_code in (200, 204), removed.text

    submit(
        browser, item(browser, "rounds", page.round_["title"]).find_element(By.CSS_SELECTOR, "form.go button")
    )
    assert lang_of(browser) == "ru"
    assert browser.find_element(By.TAG_NAME, "h1").text == gettext("ru", "This link is no longer valid")
    # It speaks of the comment round, not of an event.
    round_text = (
        "We are sorry: this link to the comment round has expired or has been replaced. Please use the "
        "link in the most recent email you received about the consultation."
    )
    assert gettext("ru", round_text) in browser.find_element(By.TAG_NAME, "main").text
