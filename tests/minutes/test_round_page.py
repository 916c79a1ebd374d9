"""The round page notes, on the sections an event's agenda names, the round table that discussed them,
in the reader's language; points of the minutes read there like other comments."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

from tests.browser.conftest import axe_violations, browser  # noqa: F401 - the chromium fixture
from tests.minutes.conftest import GULNARA, IRINA
from tests.rounds.test_pages import page_client


def _section_page(client, token: str, key: str) -> str:
    """The page of one section of the draft (``/r/{token}/sections/{key}``)."""
    response = client.get(f"/r/{token}/sections/{key}")
    assert response.status_code == 200, response.text
    return response.text


def test_sections_discussed_at_a_round_table_say_so(
    round_table, facilitator, link_for, directory, draft, server
):
    day = dt.date.fromisoformat(round_table.event["starts_at_local"][:10])
    reader, token = page_client(server, link_for(round_table.round["id"], directory.person(IRINA)))
    note = f"Обсуждалось на круглом столе {format_date(day, 'long', locale='ru')}"
    assert _section_page(reader, token, draft.section("1.1")["key"]).count(note) == 1
    assert _section_page(reader, token, draft.section("1")["key"]).count(note) == 1
    assert note not in _section_page(reader, token, draft.section("1.1.1")["key"])

    azeri, az_token = page_client(server, link_for(round_table.round["id"], directory.person(GULNARA)))
    az_page = _section_page(azeri, az_token, draft.section("1.1")["key"])
    assert f"{format_date(day, 'long', locale='az')} tarixli dəyirmi masada müzakirə olunub" in az_page

    # A point of the minutes shows among the section's comments; its speaker gets no edit form for it.
    recorded = facilitator.post(
        round_table.minutes_url,
        json={
            "round_id": round_table.round["id"],
            "points": [
                {
                    "person_id": directory.person(IRINA),
                    "section_key": draft.section("1.1")["key"],
                    "text": "Recognition must be free for refugees.",
                }
            ],
        },
    )
    assert recorded.status_code == 201, recorded.text
    point_id = recorded.json()["points"][0]["id"]
    page = _section_page(reader, token, draft.section("1.1")["key"])
    assert "Recognition must be free for refugees." in page
    # Neither the edit nor the withdraw form (a reply link is there, as on every comment).
    assert f'action="/r/{token}/comments/{point_id}' not in page
    assert f"/r/{token}/comments/{point_id}/reply" in page


def test_the_note_reads_in_a_browser_without_accessibility_faults(
    round_table,
    link_for,
    directory,
    draft,
    server,
    browser,  # noqa: F811 - the fixture imported above
):
    _, token = page_client(server, link_for(round_table.round["id"], directory.person(GULNARA)))
    browser.get(f"{server}/r/{token}/sections/{draft.section('1.1')['key']}")
    notes = [p.text for p in browser.find_elements("css selector", "p.discussed") if p.is_displayed()]
    assert len(notes) == 1 and "dəyirmi masada" in notes[0], notes
    assert axe_violations(browser) == []
