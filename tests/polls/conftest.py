from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.invitations.conftest import PEOPLE
from tests.smtp_server import Received

# Round tables in April: Vienna is on summer time (UTC+2), Baku on UTC+4 all year, so a 10:00
# Vienna slot is 12:00 in Baku.
SLOTS = ["2027-04-13T10:00:00", "2027-04-14T10:00:00", "2027-04-15T14:00:00"]
CLOSES = "2027-03-31T18:00:00"


@dataclass
class PollScenario:
    consultation: dict
    organisations: dict[str, dict]  # by kind
    people: dict[str, dict]  # by email


@pytest.fixture
def poll_scenario(api) -> PollScenario:
    consultation = api.post("/api/v1/consultations", json={"title": "Migrant integration strategy"}).json()
    organisations: dict[str, dict] = {}
    people = {}
    for name, email, language, zone, kind in PEOPLE:
        if kind not in organisations:
            organisations[kind] = api.post(
                "/api/v1/organisations", json={"name": f"Org {kind}", "kind": kind}
            ).json()
        people[email] = api.post(
            "/api/v1/people",
            json={
                "full_name": name,
                "email": email,
                "language": language,
                "timezone": zone,
                "organisation_id": organisations[kind]["id"],
            },
        ).json()
    return PollScenario(consultation=consultation, organisations=organisations, people=people)


def poll_body(scenario: PollScenario, **overrides) -> dict:
    return {
        "title": "Round table on social services",
        "description": "Second round table of the consultation.",
        "kind": "round_table",
        "format": "online",
        "timezone": "Europe/Vienna",
        "duration_minutes": 120,
        "online_url": "https://meet.example.org/round-table",
        "slots": [{"starts_at": s} for s in SLOTS],
        "closes_at": CLOSES,
        "person_ids": [p["id"] for p in scenario.people.values()],
        "required_organisation_ids": [scenario.organisations["government"]["id"]],
        **overrides,
    }


def create_poll(api, scenario: PollScenario, **overrides) -> dict:
    response = api.post(
        f"/api/v1/consultations/{scenario.consultation['id']}/scheduling-polls",
        json=poll_body(scenario, **overrides),
    )
    assert response.status_code == 201, response.text
    return response.json()


def poll_link(received: Received) -> str:
    text = received.message.get_body(("plain",)).get_content()
    match = re.search(r"/poll/(cpl_[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)
