"""The stakeholder pages in a real headless Chromium against the real API server: clicked through as a
person would, checked by axe-core (no serious or critical WCAG violation) in az and ru, on a desktop and
a phone, and walked with the keyboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from uuid import UUID

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from consult.auth.tokens import new_token, token_digest
from consult.directory.models import Person
from consult.invitations.mailing import RSVP_PREFIX
from consult.invitations.models import Invitation, Rsvp, RsvpLink
from consult.mail.replies import unsubscribe_token
from consult.settings import get_settings
from tests.browser.conftest import (
    WIDTHS,
    axe_violations,
    read_in,
    rules_of,
    set_width,
    submit,
    tab_through,
)
from tests.rounds.conftest import Directory, Draft

READER = {"az": "g.shukurova@migration.example.org", "ru": "i.petrova@ngo.example.org"}
# rsvp_chosen: the RSVP page opened from an answer button of the email (?answer=…), one button
# standing out and the others dimmed.
# round: the overview (the draft, its contents, comments on the whole draft); round_section: the page
# of one section with the reader's comment on it (its reply link, the edit and withdraw forms);
# round_reply: the page to reply to that comment.
PAGES = ["rsvp", "rsvp_chosen", "round", "round_section", "round_reply", "unsubscribe", "link_invalid"]

PageUrl = Callable[[str, str], str]


@pytest.fixture
def page_url(
    server, api, db, directory: Directory, draft: Draft, make_event, make_round, link_for
) -> PageUrl:
    """The address of a page of ``kind`` as the reader of ``language`` receives it."""

    def rsvp(person_id: str) -> str:
        event = make_event()
        invited = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [person_id]})
        assert invited.status_code == 202, invited.text
        invitation = db.scalar(select(Invitation).where(Invitation.person_id == UUID(person_id)))
        token = new_token(RSVP_PREFIX)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
        db.add(RsvpLink(invitation_id=invitation.id, token_hash=token_digest(token), expires_at=expires))
        db.commit()
        return f"{server}/rsvp/{token}"

    def make(kind: str, language: str) -> str:
        person_id = directory.person(READER[language])
        if kind == "rsvp":
            return rsvp(person_id)
        if kind == "rsvp_chosen":
            return rsvp(person_id) + "?answer=tentative"
        if kind in ("round", "round_section", "round_reply"):
            round_id = make_round()["id"]
            stakeholder = link_for(round_id, person_id)
            url = f"{server}/r/{stakeholder.headers['Authorization'].removeprefix('Bearer ')}"
            if kind == "round":
                return url
            section = draft.section("1.1.3")["key"]
            written = stakeholder.post(
                f"/api/v1/rounds/{round_id}/comments",
                json={
                    "body": "Bu məsələ vacibdir.",
                    "section_key": section,
                    "on_behalf_of_organisation": True,
                },
            )
            assert written.status_code == 201, written.text
            if kind == "round_reply":
                return f"{url}/comments/{written.json()['id']}/reply"
            return f"{url}/sections/{section}"
        if kind == "unsubscribe":
            return f"{server}/unsubscribe/{unsubscribe_token(get_settings(), UUID(person_id))}"
        return f"{server}/r/csr_{new_token('')}"  # a link that never was

    return make


def text_of(browser) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def test_answer_and_change_the_answer(browser, page_url: PageUrl, db):
    set_width(browser, 390)
    url = page_url("rsvp", "az")
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[value=accepted]"))
    assert db.scalar(select(Invitation.rsvp)) is Rsvp.ACCEPTED
    browser.get(url)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[value=declined]"))
    db.expire_all()
    assert db.scalar(select(Invitation.rsvp)) is Rsvp.DECLINED


def test_post_a_comment_from_the_round_page(browser, page_url: PageUrl):
    set_width(browser, 390)
    browser.get(page_url("round", "ru"))
    first_form = browser.find_element(By.CSS_SELECTOR, "details.write")
    first_form.find_element(By.TAG_NAME, "summary").click()
    first_form.find_element(By.NAME, "body").send_keys("Добавить арабский язык в программу.")
    submit(browser, first_form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "Добавить арабский язык в программу." in text_of(browser)


def test_unsubscribe(browser, page_url: PageUrl, db):
    set_width(browser, 390)
    browser.get(page_url("unsubscribe", "az"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert browser.find_elements(By.TAG_NAME, "form") == []
    person = db.scalar(select(Person).where(Person.email == READER["az"]))
    assert person is not None and person.unsubscribed_at is not None


def test_invalid_link(browser, page_url: PageUrl):
    browser.get(page_url("link_invalid", "az"))
    assert browser.find_element(By.TAG_NAME, "h1").text


def test_the_checks_find_what_they_look_for(browser):
    """A page with a nameless button, grey-on-white text and a link whose focus is hidden."""
    browser.get(
        "data:text/html;charset=utf-8,<!DOCTYPE html><html lang=en><title>t</title><main>"
        "<button></button><p style='color:%23bbb'>pale</p><a href='%23' style='outline:none'>link</a></main>"
    )
    assert {"button-name", "color-contrast"} <= rules_of(axe_violations(browser))
    walk = tab_through(browser)
    assert len(walk.reached) == 2 and len(walk.unmarked) == 1 and "link" in walk.unmarked[0]


@pytest.mark.parametrize("language", ["az", "ru"])
@pytest.mark.parametrize("kind", PAGES)
def test_no_serious_accessibility_violations(browser, page_url: PageUrl, kind: str, language: str):
    read_in(browser, language)
    browser.get(page_url(kind, language))
    found = {}
    for width in WIDTHS:
        set_width(browser, width)
        found[width] = axe_violations(browser)
    assert not any(found.values()), {width: [str(v) for v in vs] for width, vs in found.items()} | {
        "rules": sorted(rules_of([v for vs in found.values() for v in vs]))
    }


@pytest.mark.parametrize("kind", PAGES)
def test_every_control_is_reached_by_tab_and_shows_its_focus(browser, page_url: PageUrl, kind: str):
    set_width(browser, 1280)
    browser.get(page_url(kind, "az"))
    walk = tab_through(browser)
    assert walk.reached == walk.controls
    assert walk.unmarked == []
