"""The personal page (/p/{token}) from the footer of every email: what it lists, its calendar feed as
ical.js reads it, the links it hands out, revocation, and the page in the browser (axe, phone)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from selenium.webdriver.common.by import By

from consult.auth.models import Role
from consult.directory.links import new_person_link
from consult.events.models import Event
from consult.settings import get_settings
from tests.browser.conftest import PHONE, assert_accessible, set_width, submit
from tests.conftest import api_server
from tests.events.test_calendar import read_with_icaljs
from tests.invitations.conftest import parts
from tests.rounds.conftest import Directory
from tests.waiting import wait_until

READER = {"az": "g.shukurova@migration.example.org", "ru": "i.petrova@ngo.example.org"}
COMMENT = "Ərəb dilində məlumat da lazımdır."  # noqa: RUF001 (Azerbaijani dotless i)


@dataclass
class PersonalPage:
    url: str
    person_id: str
    events: list[dict]  # the next event, then the cancelled one
    round_: dict


@pytest.fixture
def personal_page(server, api, db, directory: Directory, make_event, make_round, link_for):
    """The page of a reader of ``language``: invited to two events (one cancelled), in a round where
    they wrote a comment."""

    def make(language: str) -> PersonalPage:
        person_id = directory.person(READER[language])
        events = [make_event(), make_event(title="Round table on language courses")]
        for event in events:
            invited = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [person_id]})
            assert invited.status_code == 202, invited.text
        cancelled = api.post(
            f"/api/v1/events/{events[1]['id']}/cancel", json={"reason": "The hall is closed."}
        )
        assert cancelled.status_code == 200, cancelled.text
        round_ = make_round()
        stakeholder = link_for(round_["id"], person_id)
        posted = stakeholder.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": COMMENT})
        assert posted.status_code == 201, posted.text
        emailed = new_person_link(db, UUID(person_id), get_settings())
        db.commit()
        token = emailed.rsplit("/p/", 1)[1]
        assert token.startswith("cpp_")
        return PersonalPage(f"{server}/p/{token}", person_id, events, round_)

    return make


def test_the_page_lists_invitations_rounds_and_comments(personal_page):
    page = personal_page("az")
    with httpx.Client(follow_redirects=False) as browser:
        shown = browser.get(page.url)
        assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
        assert shown.headers["cache-control"] == "no-store"
        assert shown.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in shown.headers["content-security-policy"]
        html = shown.text
        assert 'lang="az"' in html and "<script" not in html
        assert page.events[0]["title"] in html and page.events[1]["title"] in html
        assert "Bu tədbir ləğv edilib." in html  # the cancelled one
        assert page.round_["title"] in html and COMMENT in html
        assert f'href="webcal://{page.url.split("://", 1)[1]}/calendar.ics"' in html

        # The page hands out fresh RSVP and round links, each to that person only.
        to_rsvp = browser.post(f"{page.url}/invitations/{_invitation_link_id(html)}")
        assert to_rsvp.status_code == 303 and to_rsvp.headers["location"].startswith("/rsvp/rsvp_")
        rsvp = browser.get(page.url.split("/p/")[0] + to_rsvp.headers["location"])
        assert rsvp.status_code == 200 and page.events[0]["title"] in rsvp.text
        to_round = browser.post(f"{page.url}/rounds/{page.round_['id']}")
        assert to_round.status_code == 303 and to_round.headers["location"].startswith("/r/csr_")
        someone_elses = browser.post(f"{page.url}/invitations/{UUID(int=1)}")
        assert someone_elses.status_code == 404


def _invitation_link_id(html: str) -> str:
    start = html.index("/invitations/") + len("/invitations/")
    return html[start : start + 36]


def test_the_invitation_email_links_to_the_page(server, api, make_event, directory: Directory, worker, smtp):
    event = make_event()
    person_id = directory.person(READER["az"])
    invited = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [person_id]})
    assert invited.status_code == 202, invited.text
    (received,) = smtp.wait_for(1)
    text = parts(received)["text/plain"].get_content()
    html = parts(received)["text/html"].get_content()
    match = re.search(r"/p/(cpp_[A-Za-z0-9_-]+)", text)
    assert match, text
    assert f"/p/{match.group(1)}" in html  # the same link in both parts
    page = httpx.get(f"{server}/p/{match.group(1)}")
    assert page.status_code == 200 and event["title"] in page.text and 'lang="az"' in page.text


def test_the_calendar_feed_reads_in_icaljs(personal_page, db):
    page = personal_page("ru")
    feed = httpx.get(f"{page.url}/calendar.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    seen = read_with_icaljs(feed.content)
    assert seen["method"] == "PUBLISH"
    by_uid = {event["uid"]: event for event in seen["events"]}
    assert len(by_uid) == len(seen["events"]) == 2  # each event once
    for made, status in zip(page.events, ["CONFIRMED", "CANCELLED"], strict=True):
        event = db.get(Event, UUID(made["id"]))
        assert event is not None
        read = by_uid[event.ical_uid]
        assert read["status"] == status
        # 10:00 in Baku (UTC+4) reads as 06:00 UTC
        assert dt.datetime.fromisoformat(read["start"]) == event.starts_at.astimezone(dt.UTC)
        assert read["start"].endswith("T06:00:00.000Z")


def test_revoked_and_unknown_links_show_the_invalid_link_page(personal_page, api):
    page = personal_page("az")
    revoked = api.post(f"/api/v1/people/{page.person_id}/revoke-links")
    assert revoked.status_code == 200 and revoked.json()["personal_page_links"] >= 1
    for url in (page.url, f"{page.url}/calendar.ics", page.url + "x"):
        gone = httpx.get(url)
        assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/html")


def test_the_access_log_masks_the_token(personal_page, tmp_path: Path):
    page = personal_page("ru")
    token = page.url.rsplit("/p/", 1)[1]
    with api_server(tmp_path, log_level="info") as base_url:
        assert httpx.get(f"{base_url}/p/{token}/calendar.ics").status_code == 200
        log_path = tmp_path / f"server-{base_url.rsplit(':', 1)[1]}.log"
        wait_until(lambda: "calendar.ics" in log_path.read_text(), "the access log to show the request")
    log = log_path.read_text()
    assert '"GET /p/cpp_***/calendar.ics HTTP/1.1" 200' in log
    assert token.removeprefix("cpp_") not in log


def test_the_data_export_lists_the_link_and_erasure_cuts_it(personal_page, client_for):
    page = personal_page("ru")
    admin = client_for(Role.ADMIN)
    exported = admin.get(f"/api/v1/people/{page.person_id}/data")
    assert exported.status_code == 200, exported.text
    data = json.loads(zipfile.ZipFile(io.BytesIO(exported.content)).read("data.json"))
    assert data["links"]["personal_page"]  # (a worker running alongside may have emailed more)
    assert admin.post(f"/api/v1/people/{page.person_id}/erase").status_code == 200
    assert httpx.get(page.url).status_code == 404


@pytest.mark.parametrize("language", ["az", "ru"])
def test_the_page_in_the_browser(browser, personal_page, language: str, tmp_path: Path):
    browser.get(personal_page(language).url)
    assert_accessible(browser)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    if language == "ru":
        set_width(browser, PHONE)
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(tmp_path / "personal-ru-390.png"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.go button"))
    assert "/rsvp/rsvp_" in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, "button[value=accepted]")
