"""A round on the integration strategy, and a round table held in Baku that discussed it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import pytest

from consult.auth.models import Role
from tests.rounds import conftest as rounds
from tests.rounds.conftest import Directory, Draft

directory = rounds.directory
draft = rounds.draft
facilitator = rounds.facilitator
link_for = rounds.link_for
make_round = rounds.make_round

GULNARA = "g.shukurova@migration.example.org"
IRINA = "i.petrova@ngo.example.org"
ANNA = "a.gruber@expert.example.org"
MIGRATION = "State Migration Service"
NGO = "Migrant Support NGO"


@dataclass
class RoundTable:
    event: dict
    round: dict
    draft: Draft
    directory: Directory

    @property
    def minutes_url(self) -> str:
        return f"/api/v1/events/{self.event['id']}/minutes"

    def organisation(self, name: str) -> str:
        return self.directory.organisations[name]["id"]


def baku_day(days: int) -> tuple[str, str]:
    """10:00 to 12:00 Baku time, ``days`` from today (negative: in the past)."""
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)
    return f"{day.isoformat()}T10:00:00", f"{day.isoformat()}T12:00:00"


def event_body(consultation_id: str, days: int = -2, agenda: list[dict] | None = None) -> dict:
    starts, ends = baku_day(days)
    return {
        "consultation_id": consultation_id,
        "kind": "round_table",
        "format": "online",
        "title": "Round table on integration measures",
        "timezone": "Asia/Baku",
        "starts_at": starts,
        "ends_at": ends,
        "online_url": "https://meet.example.org/round-table",
        "agenda": agenda or [],
    }


@pytest.fixture
def organiser(client_for) -> httpx.Client:
    return client_for(Role.ORGANISER)


@pytest.fixture
def round_table(organiser, make_round, draft, directory) -> RoundTable:
    starts, _ = baku_day(-2)
    body = event_body(
        draft.document["consultation_id"],
        agenda=[
            {
                "starts_at": starts,
                "title": "Integration measures",
                "document_version_id": draft.version["id"],
                "section_keys": [draft.section("1").get("key"), draft.section("1.1")["key"]],
            }
        ],
    )
    response = organiser.post("/api/v1/events", json=body)
    assert response.status_code == 201, response.text
    return RoundTable(event=response.json(), round=make_round(), draft=draft, directory=directory)
