from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, update

from consult.auth.models import Role
from consult.drafts.fixtures import strategy_markdown
from consult.rounds.links import new_round_link
from consult.rounds.models import CommentRound, RoundInvitee
from consult.settings import get_settings

# name, email, language, time zone, organisation (None: an individual expert)
PEOPLE = [
    ("Gülnarə Şükürova", "g.shukurova@migration.example.org", "az", "Asia/Baku", "State Migration Service"),
    ("Rauf Məmmədov", "r.mammadov@migration.example.org", "az", "Asia/Baku", "State Migration Service"),
    ("Ирина Петрова", "i.petrova@ngo.example.org", "ru", "Asia/Baku", "Migrant Support NGO"),
    ("Luc Dubois", "l.dubois@eeas.example.org", "fr", "Europe/Brussels", "EU Delegation to Azerbaijan"),
    ("Anna Gruber", "a.gruber@expert.example.org", "en", "Europe/Vienna", None),
]
ORGANISATION_KINDS = {
    "State Migration Service": "government",
    "Migrant Support NGO": "ngo",
    "EU Delegation to Azerbaijan": "international",
}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=4))).isoformat()


def from_now(**delta: float) -> str:
    return iso(dt.datetime.now(dt.UTC) + dt.timedelta(**delta))


def a_day_after_opening(db, round_id: str) -> None:
    """Moves the round's opening emails a day back: closing reminders are not sent right behind them."""
    a_day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    db.execute(
        update(RoundInvitee)
        .where(RoundInvitee.round_id == UUID(round_id))
        .values(opening_queued_at=a_day_ago)
    )
    db.commit()


def flatten(sections: list[dict]) -> list[dict]:
    return [s for section in sections for s in [section, *flatten(section["children"])]]


@dataclass
class Directory:
    organisations: dict[str, dict]  # by name
    people: dict[str, dict]  # by email

    def person(self, email: str) -> str:
        return self.people[email]["id"]


@dataclass
class Draft:
    document: dict
    version: dict

    @property
    def sections(self) -> list[dict]:
        return flatten(self.version["sections"])

    def section(self, number: str) -> dict:
        return next(s for s in self.sections if s["number"] == number)


@pytest.fixture
def directory(api) -> Directory:
    organisations = {}
    for name, kind in ORGANISATION_KINDS.items():
        response = api.post("/api/v1/organisations", json={"name": name, "kind": kind})
        assert response.status_code == 201, response.text
        organisations[name] = response.json()
    people = {}
    for full_name, email, language, zone, organisation in PEOPLE:
        response = api.post(
            "/api/v1/people",
            json={
                "full_name": full_name,
                "email": email,
                "language": language,
                "timezone": zone,
                "organisation_id": organisations[organisation]["id"] if organisation else None,
            },
        )
        assert response.status_code == 201, response.text
        people[email] = response.json()
    return Directory(organisations, people)


def upload_version(api, document_id: str, number: int) -> dict:
    response = api.post(
        f"/api/v1/documents/{document_id}/versions",
        files={"file": ("strategy.md", strategy_markdown(number), "text/markdown")},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def draft(api) -> Draft:
    consultation = api.post(
        "/api/v1/consultations", json={"title": "Migrant integration strategy 2026-2030"}
    ).json()
    document = api.post(
        "/api/v1/documents",
        json={"consultation_id": consultation["id"], "title": "Integration strategy", "language": "en"},
    ).json()
    return Draft(document=document, version=upload_version(api, document["id"], 1))


@pytest.fixture
def facilitator(client_for) -> httpx.Client:
    return client_for(Role.FACILITATOR)


@pytest.fixture
def make_round(facilitator, draft, directory):
    def make(**overrides) -> dict:
        body = {
            "document_version_id": draft.version["id"],
            "title": "First comment round on the strategy",
            "opens_at": from_now(hours=-1),
            "closes_at": from_now(days=10),
            "visibility": "participants",
            "person_ids": [p["id"] for p in directory.people.values()],
            **overrides,
        }
        response = facilitator.post("/api/v1/rounds", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def link_for(db, client_for):
    """A stakeholder's client, authenticated with a fresh personal link as the round email carries."""

    def make(round_id: str, person_id: str) -> httpx.Client:
        round_ = db.get(CommentRound, UUID(round_id))
        invitee = db.scalar(
            select(RoundInvitee).where(
                RoundInvitee.round_id == UUID(round_id), RoundInvitee.person_id == UUID(person_id)
            )
        )
        assert round_ is not None and invitee is not None
        url = new_round_link(db, invitee, round_, get_settings())
        db.commit()
        return client_for(None, token=token_of(url))

    return make


@pytest.fixture
def links_for(link_for, directory):
    """The clients of several people of the directory (by email), each with their link to the round."""

    def make(round_id: str, *emails: str) -> list[httpx.Client]:
        return [link_for(round_id, directory.person(email)) for email in emails]

    return make


def token_of(text: str) -> str:
    match = re.search(r"/r/(csr_[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)
