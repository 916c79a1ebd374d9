"""The questionnaire page in a real headless Chromium: answered, refused and submitted with the
keyboard-free clicks a person makes, with no serious accessibility violations in az and ru, on a
desktop and on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import WIDTHS, axe_violations, browser, read_in, set_width, submit
from tests.questionnaires.conftest import GULNARA, IRINA

__all__ = ["browser"]


@pytest.mark.parametrize("email", [GULNARA, IRINA], ids=["az", "ru"])
def test_the_page_is_accessible_fresh_refused_and_submitted(
    browser, make_questionnaire, link_for, directory, server, email
):
    questionnaire = make_questionnaire()
    token = link_for(questionnaire["id"], directory.person(email))
    browser.get(f"{server}/q/{token}")
    found = {}
    for width in WIDTHS:
        set_width(browser, width)
        found[f"fresh {width}"] = axe_violations(browser)
    # Submitting with required questions unanswered: the summary links to them, messages beside them.
    browser.find_element(By.ID, "q-q-services").click()
    browser.find_element(By.ID, "q-q-staff").send_keys("-4")
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="submit"]'))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    links = [a.get_attribute("href").rsplit("#", 1)[1] for a in summary.find_elements(By.TAG_NAME, "a")]
    assert {"q-q-readiness", "q-q-staff", "q-q-priorities", "q-q-gaps"} <= set(links)
    assert browser.find_element(By.ID, "q-q-staff").get_attribute("value") == "-4"
    assert browser.find_element(By.ID, "q-q-services").is_selected()
    for width in WIDTHS:
        set_width(browser, width)
        found[f"refused {width}"] = axe_violations(browser)
    # Completed and submitted: the page shows it submitted, with the reopen button.
    browser.find_element(By.ID, "q-q-staff").clear()
    browser.find_element(By.ID, "q-q-staff").send_keys("12")
    browser.find_element(By.ID, "q-q-gaps").click()
    browser.find_element(By.ID, "q-q-readiness-4").click()
    browser.find_element(By.ID, "q-q-priorities").click()
    browser.find_element(By.ID, "q-q-priorities-jobs-2").click()
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="submit"]'))
    assert browser.find_elements(By.ID, "submitted"), browser.page_source[:3000]
    assert browser.find_elements(By.CSS_SELECTOR, 'button[value="reopen"]')
    for width in WIDTHS:
        set_width(browser, width)
        found[f"submitted {width}"] = axe_violations(browser)
    assert {label: [str(v) for v in found[label]] for label in found if found[label]} == {}


def test_the_open_page_is_accessible(browser, make_questionnaire, server):
    questionnaire = make_questionnaire(mode="open")
    url = questionnaire["public_url"]
    for language in ("az", "ru"):
        read_in(browser, language)
        browser.get(f"{server}{url[url.index('/q/open/') :]}")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        for width in WIDTHS:
            set_width(browser, width)
            assert [str(v) for v in axe_violations(browser)] == [], (language, width)


def test_the_open_page_with_email_confirmation_is_accessible(browser, staff, consultation, server, db):
    from tests.questionnaires.test_open_confirmation import (
        confirmation_link,
        open_questionnaire,
        path_of,
        responses,
    )

    questionnaire = open_questionnaire(staff, consultation)
    path = path_of(questionnaire)
    found = {}
    read_in(browser, "ru")
    browser.get(f"{server}{path}")
    email = browser.find_element(By.ID, "email")
    assert email.get_attribute("type") == "email" and email.get_attribute("autocomplete") == "email"
    for width in WIDTHS:
        set_width(browser, width)
        found[f"fresh {width}"] = axe_violations(browser)
    # Everything answered but the address: the summary links to it, the message is beside it.
    browser.find_element(By.ID, "q-q-services").click()
    browser.find_element(By.ID, "q-q-gaps").click()
    browser.find_element(By.ID, "q-q-readiness-4").click()
    browser.find_element(By.ID, "q-q-priorities").click()
    browser.find_element(By.ID, "q-q-priorities-jobs-2").click()
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="submit"]'))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    links = [a.get_attribute("href").rsplit("#", 1)[1] for a in summary.find_elements(By.TAG_NAME, "a")]
    assert links == ["email"]
    assert browser.find_element(By.ID, "email-error").is_displayed()
    assert browser.find_element(By.ID, "q-q-readiness-4").is_selected()
    for width in WIDTHS:
        set_width(browser, width)
        found[f"address missing {width}"] = axe_violations(browser)
    browser.find_element(By.ID, "email").send_keys("reader@example.org")
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="submit"]'))
    assert "/thanks" in browser.current_url
    found["check your inbox"] = axe_violations(browser)
    [response] = responses(db, questionnaire["id"])
    browser.get(f"{server}{confirmation_link(db, questionnaire, response)}")
    found["confirmation asked"] = axe_violations(browser)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "Ваш ответ подтверждён" in browser.page_source
    found["confirmed"] = axe_violations(browser)
    assert {label: [str(v) for v in found[label]] for label in found if found[label]} == {}
