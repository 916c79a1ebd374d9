from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import icalendar
import pytest

from tests.smtp_server import Received

PEOPLE = [
    ("Gülnarə Şükürova", "g.shukurova@migration.example.org", "az", "Asia/Baku", "government"),
    ("Ирина Петрова", "i.petrova@ngo.example.org", "ru", "Asia/Baku", "ngo"),
    ("Anna Gruber", "a.gruber@icmpd.example.org", "en", "Europe/Vienna", "international"),
    ("Luc Dubois", "l.dubois@eeas.example.org", "fr", "Europe/Brussels", "international"),
]


@dataclass
class Scenario:
    event: dict
    people: dict[str, dict]  # by email


def future(days: int = 30, hour: int = 10) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"


@pytest.fixture
def make_event(api):
    consultation = api.post(
        "/api/v1/consultations", json={"title": "Migrant integration strategy 2026-2030"}
    ).json()

    def make(**overrides) -> dict:
        body = {
            "consultation_id": consultation["id"],
            "kind": "launch",
            "format": "in_person",
            "title": "Launch of the migrant integration strategy",
            "description": "Overview of the projects, needs of the institutions, pillars of the strategy.",
            "timezone": "Asia/Baku",
            "starts_at": future(30, 10),
            "ends_at": future(30, 16),
            "location": "Hilton Baku, Azadliq Avenue 1",
            "agenda": [
                {"starts_at": future(30, 10), "title": "Opening", "speaker": "State Migration Service"},
                {"starts_at": future(30, 11), "title": "Capacities and needs of the institutions"},
            ],
            **overrides,
        }
        response = api.post("/api/v1/events", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def scenario(api, make_event) -> Scenario:
    orgs = {}
    people = {}
    for name, email, language, zone, kind in PEOPLE:
        if kind not in orgs:
            orgs[kind] = api.post("/api/v1/organisations", json={"name": f"Org {kind}", "kind": kind}).json()
        person = api.post(
            "/api/v1/people",
            json={
                "full_name": name,
                "email": email,
                "language": language,
                "timezone": zone,
                "organisation_id": orgs[kind]["id"],
            },
        ).json()
        people[email] = person
    return Scenario(event=make_event(), people=people)


def parts(received: Received) -> dict[str, object]:
    message = received.message
    found = {}
    for part in message.walk():
        found.setdefault(part.get_content_type(), part)
    return found


def calendar_of(received: Received) -> tuple[str, icalendar.Calendar, bytes]:
    """The MIME method and the parsed text/calendar part of a message."""
    part = parts(received)["text/calendar"]
    raw = part.get_payload(decode=True)
    return part.get_param("method"), icalendar.Calendar.from_ical(raw), raw


def vevent(calendar: icalendar.Calendar) -> icalendar.Event:
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    return events[0]


def rsvp_token(received: Received) -> str:
    text = parts(received)["text/plain"].get_content()
    match = re.search(r"/rsvp/(rsvp_[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)
