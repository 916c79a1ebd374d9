"""Who may do what: staff roles and stakeholder links (a personal link is a bearer token too)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from consult.auth.models import Role
from consult.rounds.models import RoundLink
from tests.helpers import problem
from tests.rounds.conftest import from_now

ANNA = "a.gruber@expert.example.org"
IRINA = "i.petrova@ngo.example.org"


@pytest.fixture
def setting(make_round, link_for, directory, facilitator):
    round_ = make_round()
    other = make_round(title="A round Anna is not in", person_ids=[directory.person(IRINA)])
    anna = link_for(round_["id"], directory.person(ANNA))
    irina = link_for(round_["id"], directory.person(IRINA))
    comment = anna.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Anna's comment"}).json()
    return round_, other, anna, irina, comment


def test_a_stakeholder_link_reaches_only_its_round_and_own_comments(setting, directory, draft):
    round_, other, anna, irina, comment = setting
    listed = anna.get("/api/v1/rounds").json()
    assert [r["id"] for r in listed["items"]] == [round_["id"]]
    assert anna.get(f"/api/v1/rounds/{round_['id']}").status_code == 200
    draft_tree = anna.get(f"/api/v1/rounds/{round_['id']}/draft")
    assert draft_tree.status_code == 200 and draft_tree.json()["sections"]
    assert anna.get(f"/api/v1/rounds/{round_['id']}/comments").status_code == 200
    problem(anna.get(f"/api/v1/rounds/{other['id']}"), 404)
    problem(anna.get(f"/api/v1/rounds/{other['id']}/comments"), 404)
    problem(anna.get(f"/api/v1/rounds/{other['id']}/draft"), 404)
    problem(anna.post(f"/api/v1/rounds/{other['id']}/comments", json={"body": "x"}), 404)
    problem(irina.patch(f"/api/v1/comments/{comment['id']}", json={"body": "x"}), 403)
    problem(irina.post(f"/api/v1/comments/{comment['id']}/withdraw"), 403)
    assert anna.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Edited"}).status_code == 200


def test_staff_only_endpoints_refuse_a_stakeholder_link(setting, directory, draft):
    round_, _, anna, _, comment = setting
    forbidden = [
        ("GET", "/api/v1/people", None),
        ("GET", "/api/v1/organisations", None),
        ("GET", "/api/v1/groups", None),
        ("GET", "/api/v1/events", None),
        ("GET", "/api/v1/consultations", None),
        ("GET", f"/api/v1/documents/{draft.document['id']}", None),
        ("POST", "/api/v1/rounds", {"title": "x"}),
        ("PATCH", f"/api/v1/rounds/{round_['id']}", {"closes_at": from_now(days=30)}),
        ("POST", f"/api/v1/rounds/{round_['id']}/invitees", {"person_ids": [directory.person(IRINA)]}),
        ("PUT", f"/api/v1/comments/{comment['id']}/response", {"decision": "noted", "rationale": "x"}),
        ("POST", f"/api/v1/comments/{comment['id']}/hide", {"reason": "x"}),
        ("POST", f"/api/v1/comments/{comment['id']}/restore", None),
        ("GET", f"/api/v1/comments/{comment['id']}/history", None),
    ]
    for method, url, body in forbidden:
        response = anna.request(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)


def test_staff_roles(setting, client_for):
    round_, _, _, _, comment = setting
    organiser, facilitator, admin = (client_for(r) for r in (Role.ORGANISER, Role.FACILITATOR, Role.ADMIN))
    for client in (organiser, facilitator, admin):
        assert client.get("/api/v1/rounds").status_code == 200
        assert client.get(f"/api/v1/rounds/{round_['id']}/comments").status_code == 200
        assert client.get(f"/api/v1/comments/{comment['id']}/history").status_code == 200
    for client in (facilitator, admin):
        assert client.patch(f"/api/v1/rounds/{round_['id']}", json={"title": "Renamed"}).status_code == 200
    problem(organiser.patch(f"/api/v1/rounds/{round_['id']}", json={"title": "x"}), 403)
    hide = {"reason": "x"}
    problem(organiser.post(f"/api/v1/comments/{comment['id']}/hide", json=hide), 403)
    # Comments come from invited people, not from staff accounts.
    problem(facilitator.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "x"}), 403)
    problem(facilitator.patch(f"/api/v1/comments/{comment['id']}", json={"body": "x"}), 403)


def test_unknown_and_expired_links_are_refused(setting, client_for, db):
    round_, _, anna, *_ = setting
    db.execute(update(RoundLink).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    db.commit()
    problem(anna.get("/api/v1/rounds"), 401)
    problem(client_for(None, token="csr_not-a-real-token").get("/api/v1/rounds"), 401)
    problem(client_for(None).get(f"/api/v1/rounds/{round_['id']}"), 401)
