"""The poll page in a real headless chromium: both clocks per slot, the form answered with the
keyboard-reachable radios and post/redirect/get, the refused form with its error summary, and no
serious axe-core findings in any state, at phone and desktop widths."""

# The expected texts are Azerbaijani and Russian: not look-alike typos.
# ruff: noqa: RUF001
from __future__ import annotations

from selenium.webdriver.common.by import By
from sqlalchemy import select

from consult.polls.models import PollAnswer
from tests.browser.conftest import WIDTHS, axe_violations, browser, read_in, set_width, submit, tab_through
from tests.polls.conftest import create_poll
from tests.polls.helpers import link_for

__all__ = ["browser"]


def _no_violations(browser) -> None:
    found = {}
    for width in WIDTHS:
        set_width(browser, width)
        found[width] = [str(v) for v in axe_violations(browser)]
    assert not any(found.values()), found


def test_a_baku_reader_answers_a_vienna_poll_on_the_page(browser, api, poll_scenario, db, server):
    poll = create_poll(api, poll_scenario)
    people = {p["language"]: p["id"] for p in poll_scenario.people.values()}
    url = f"{server}/poll/{link_for(db, poll['id'], people['az'])}"
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "az"
    legends = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "fieldset.slot legend")]
    assert len(legends) == 3
    assert "13 aprel 2027, 10:00–12:00 (Vyana vaxtı)" in legends[0]
    assert "12:00–14:00 (Bakı vaxtı)" in legends[0]
    _no_violations(browser)
    # Tab stops once in each group of radios (the arrow keys move within it), as browsers do.
    walk = tab_through(browser)
    radios_reached = [e for e in walk.reached if e.get_attribute("type") == "radio"]
    assert len(radios_reached) == 3 and walk.unmarked == []
    assert [e for e in walk.controls if e.get_attribute("type") != "radio"] == [
        e for e in walk.reached if e.get_attribute("type") != "radio"
    ]

    # Two slots answered, one left out: the page comes back with the choices kept and the summary.
    set_width(browser, 390)
    browser.find_element(By.ID, "slot-0-yes").click()
    browser.find_element(By.ID, "slot-2-no").click()
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "13 aprel" not in summary.text and "14 aprel" in summary.text
    assert browser.find_element(By.ID, "slot-0-yes").is_selected()
    assert browser.find_element(By.ID, "slot-2-no").is_selected()
    assert browser.title.startswith("Xəta")
    _no_violations(browser)
    summary.find_element(By.TAG_NAME, "a").click()
    assert browser.switch_to.active_element.get_attribute("id") == "slot-1-yes"

    browser.find_element(By.ID, "slot-1-if_need_be").click()
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert browser.current_url == f"{url}?saved=true"
    assert browser.find_element(By.CSS_SELECTOR, ".saved").text
    assert browser.find_element(By.ID, "slot-1-if_need_be").is_selected()
    _no_violations(browser)
    db.rollback()
    assert sorted(a.value for a in db.scalars(select(PollAnswer.answer))) == ["if_need_be", "no", "yes"]


def test_the_decided_and_the_unknown_poll_pages(browser, api, poll_scenario, db, server):
    poll = create_poll(api, poll_scenario)
    people = {p["language"]: p["id"] for p in poll_scenario.people.values()}
    token = link_for(db, poll["id"], people["ru"])
    slot = min(poll["slots"], key=lambda s: s["starts_at"])
    assert api.post(f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": slot["id"]}).is_success
    browser.get(f"{server}/poll/{token}")
    assert browser.find_elements(By.TAG_NAME, "form") == []
    notice = browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "Время выбрано" in notice and "12:00–14:00 (Баку)" in notice
    _no_violations(browser)

    read_in(browser, "ru")
    browser.get(f"{server}/poll/cpl_unknown")
    assert "опрос" in browser.find_element(By.TAG_NAME, "main").text
    _no_violations(browser)
