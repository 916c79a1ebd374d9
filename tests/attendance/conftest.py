from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest

from consult.invitations.checkin import checkin_code
from consult.settings import get_settings

FIXTURES = Path(__file__).parent / "fixtures"

GULNARA = "g.shukurova@migration.example.org"
IRINA = "i.petrova@ngo.example.org"
ANNA = "a.gruber@icmpd.example.org"
LUC = "l.dubois@eeas.example.org"
RAUF_ASAN = "r.mammadov@asan.example.org"
RAUF_DOST = "r.mammadov@dost.example.org"
WALK_IN = "n.aliyeva@redcrescent.example.org"

PEOPLE = [
    ("Gülnarə Şükürova", GULNARA, "az", "government"),
    ("Ирина Петрова", IRINA, "ru", "ngo"),
    ("Anna Gruber", ANNA, "en", "international"),
    ("Luc Dubois", LUC, "fr", "international"),
    ("Rauf Məmmədov", RAUF_ASAN, "az", "government"),
    ("Rauf Məmmədov", RAUF_DOST, "az", "government"),
    ("Nigar Aliyeva", WALK_IN, "az", "ngo"),
]


def code_of(invitation_id: str) -> str:
    """The code the invitee was sent: the tests share the server's secret key (tests/conftest.py)."""
    return checkin_code(get_settings().app.secret_key, UUID(invitation_id))


def later(days: int, hour: int) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"


@dataclass
class Scenario:
    consultation: dict
    people: dict[str, dict]  # by email
    event: dict  # hybrid, everyone but the walk-in invited
    invitations: dict[str, str]  # invitation id by email

    def person(self, email: str) -> str:
        return self.people[email]["id"]


def make_event(api, consultation_id: str, **overrides) -> dict:
    body = {
        "consultation_id": consultation_id,
        "kind": "round_table",
        "format": "hybrid",
        "title": "Round table: key concepts of integration",
        "timezone": "Asia/Baku",
        "starts_at": later(2, 10),
        "ends_at": later(2, 13),
        "location": "ASAN Xidmət, Baku",
        "online_url": "https://meet.example.org/integration",
        **overrides,
    }
    response = api.post("/api/v1/events", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def invite(api, event: dict, person_ids: list[str]) -> dict[str, str]:
    response = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": person_ids})
    assert response.status_code == 202, response.text
    return {i["email"]: i["id"] for i in response.json()["created"]}


@pytest.fixture
def scenario(api) -> Scenario:
    consultation = api.post("/api/v1/consultations", json={"title": "Migrant integration strategy"}).json()
    organisations: dict[str, dict] = {}
    people = {}
    for name, email, language, kind in PEOPLE:
        if kind not in organisations:
            organisations[kind] = api.post(
                "/api/v1/organisations", json={"name": f"Organisation ({kind})", "kind": kind}
            ).json()
        response = api.post(
            "/api/v1/people",
            json={
                "full_name": name,
                "email": email,
                "language": language,
                "organisation_id": organisations[kind]["id"],
            },
        )
        assert response.status_code == 201, response.text
        people[email] = response.json()
    event = make_event(api, consultation["id"])
    invited = invite(api, event, [p["id"] for e, p in people.items() if e != WALK_IN])
    return Scenario(consultation, people, event, invited)
