"""Every stakeholder link can be cut: removing an invitee from a round, revoking a person's links of
every kind, and ending a round early. Real tokens over real HTTP: each link works before and is
refused after (401 on the API, the invalid-link page on the pages)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from consult.auth.models import Role
from consult.auth.tokens import token_digest
from consult.invitations.mailing import new_rsvp_link
from consult.invitations.models import Invitation
from consult.mail.models import ReplyToken
from consult.mail.replies import new_reply_token
from consult.settings import get_settings
from tests.helpers import problem
from tests.invitations.conftest import future
from tests.rounds.conftest import from_now

ANNA = "a.gruber@expert.example.org"
IRINA = "i.petrova@ngo.example.org"


def bearer_of(client) -> str:
    return client.headers["Authorization"].removeprefix("Bearer ")


def page_is_invalid_link(response) -> bool:
    return response.status_code == 404 and "This link is no longer valid" in response.text


def reply_token_for(db, person_id: str, round_id: str) -> str:
    token = new_reply_token()
    db.add(
        ReplyToken(
            token_hash=token_digest(token),
            person_id=UUID(person_id),
            round_id=UUID(round_id),
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        )
    )
    db.commit()
    return token


def reply_token_kept(db, token: str) -> bool:
    db.expire_all()
    stored = select(func.count()).select_from(ReplyToken).where(ReplyToken.token_hash == token_digest(token))
    return db.scalar(stored) == 1


@pytest.fixture
def anna_in_round(make_round, link_for, directory):
    round_ = make_round()
    anna = link_for(round_["id"], directory.person(ANNA))
    comment = anna.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Anna's comment"})
    assert comment.status_code == 201, comment.text
    return round_, anna, comment.json()


def test_removing_an_invitee_cuts_their_link_at_once_and_keeps_their_comments(
    anna_in_round, facilitator, client_for, directory, db
):
    round_, anna, comment = anna_in_round
    token = bearer_of(anna)
    page = client_for(None)
    assert anna.get(f"/api/v1/rounds/{round_['id']}").status_code == 200
    assert page.get(f"/r/{token}").status_code == 200
    reply = reply_token_for(db, directory.person(ANNA), round_["id"])
    elsewhere = reply_token_for(db, directory.person(IRINA), round_["id"])
    invitees = f"/api/v1/rounds/{round_['id']}/invitees/{directory.person(ANNA)}"

    problem(anna.delete(invitees), 403)
    problem(client_for(Role.ORGANISER).delete(invitees), 403)
    assert facilitator.delete(invitees).status_code == 204

    problem(anna.get(f"/api/v1/rounds/{round_['id']}"), 401)
    problem(anna.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Still here?"}), 401)
    assert page_is_invalid_link(page.get(f"/r/{token}"))
    assert page_is_invalid_link(page.post(f"/r/{token}/comments", data={"body": "Still here?"}))
    assert not reply_token_kept(db, reply) and reply_token_kept(db, elsewhere)
    listed = facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json()
    bodies = [c["body"] for group in listed["sections"] for c in group["threads"]]
    assert bodies == [comment["body"]]
    assert (
        facilitator.get(f"/api/v1/rounds/{round_['id']}").json()["invitee_count"] == len(directory.people) - 1
    )
    problem(facilitator.delete(invitees), 404)


def test_revoking_a_persons_links_cuts_round_rsvp_and_reply_links(
    anna_in_round, make_round, link_for, api, client_for, directory, db, worker
):
    """With a worker sending the round and invitation emails alongside (more links to cut)."""
    round_, anna, _ = anna_in_round
    other_round = make_round(title="A second round")
    anna_elsewhere = link_for(other_round["id"], directory.person(ANNA))
    irina = link_for(round_["id"], directory.person(IRINA))
    consultation = api.post("/api/v1/consultations", json={"title": "Launch"}).json()
    event = api.post(
        "/api/v1/events",
        json={
            "consultation_id": consultation["id"],
            "kind": "launch",
            "format": "online",
            "title": "Launch of the strategy",
            "timezone": "Asia/Baku",
            "starts_at": future(30, 10),
            "ends_at": future(30, 12),
            "online_url": "https://meet.example.org/launch",
        },
    ).json()
    invited = api.post(
        f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [directory.person(ANNA)]}
    )
    assert invited.status_code == 202, invited.text
    invitation = db.scalar(
        select(Invitation)
        .where(Invitation.person_id == UUID(directory.person(ANNA)))
        .options(joinedload(Invitation.event))
    )
    rsvp = new_rsvp_link(db, invitation, get_settings())
    db.commit()
    reply = reply_token_for(db, directory.person(ANNA), round_["id"])
    page = client_for(None)
    assert page.get(f"/rsvp/{rsvp}").status_code == 200
    assert page.get(f"/r/{bearer_of(anna)}").status_code == 200
    assert anna_elsewhere.get(f"/api/v1/rounds/{other_round['id']}").status_code == 200
    revoke = f"/api/v1/people/{directory.person(ANNA)}/revoke-links"

    problem(anna.post(revoke), 403)
    problem(client_for(Role.FACILITATOR).post(revoke), 403)
    response = api.post(revoke)
    assert response.status_code == 200, response.text
    revoked = response.json()
    assert revoked["person_id"] == directory.person(ANNA)
    # At least the links made here (a worker running alongside may have sent emails with more).
    assert revoked["round_links"] >= 2 and revoked["rsvp_links"] >= 1 and revoked["reply_addresses"] >= 1

    problem(anna.get(f"/api/v1/rounds/{round_['id']}"), 401)
    problem(anna_elsewhere.get(f"/api/v1/rounds/{other_round['id']}"), 401)
    assert page_is_invalid_link(page.get(f"/r/{bearer_of(anna)}"))
    assert page_is_invalid_link(page.get(f"/rsvp/{rsvp}"))
    assert page_is_invalid_link(page.post(f"/rsvp/{rsvp}", data={"response": "accepted"}))
    problem(page.post(f"/rsvp/{rsvp}", json={"response": "accepted"}), 404)
    assert not reply_token_kept(db, reply)
    # Someone else's link is untouched; Anna is still invited and a new email gives her a new link.
    assert irina.get(f"/api/v1/rounds/{round_['id']}").status_code == 200
    assert (
        link_for(round_["id"], directory.person(ANNA)).get(f"/api/v1/rounds/{round_['id']}").status_code
        == 200
    )
    problem(api.post(f"/api/v1/people/{UUID(int=1)}/revoke-links"), 404)


def test_ending_a_round_early_stops_comments_and_links_read_on(anna_in_round, facilitator, client_for, db):
    round_, anna, _ = anna_in_round
    problem(anna.post(f"/api/v1/rounds/{round_['id']}/close"), 403)
    problem(client_for(Role.ORGANISER).post(f"/api/v1/rounds/{round_['id']}/close"), 403)
    before = dt.datetime.now(dt.UTC)

    response = facilitator.post(f"/api/v1/rounds/{round_['id']}/close")

    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["is_open"] is False
    assert before <= dt.datetime.fromisoformat(closed["closes_at"]) <= dt.datetime.now(dt.UTC)
    problem(anna.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Too late"}), 409)
    assert anna.get(f"/api/v1/rounds/{round_['id']}/comments").status_code == 200  # reads on
    page = client_for(None).get(f"/r/{bearer_of(anna)}")
    assert page.status_code == 200
    problem(facilitator.post(f"/api/v1/rounds/{round_['id']}/close"), 409)


def test_a_round_ended_before_it_opened_never_opens(make_round, facilitator):
    round_ = make_round(opens_at=from_now(days=5), closes_at=from_now(days=10))
    closed = facilitator.post(f"/api/v1/rounds/{round_['id']}/close").json()
    assert closed["opens_at"] == closed["closes_at"]
    assert closed["is_open"] is False
