from __future__ import annotations

from consult.auth.models import Role
from tests.helpers import problem
from tests.rounds.conftest import from_now, upload_version


def test_create_list_get_and_patch_a_round(make_round, facilitator, api, directory, draft):
    sms = directory.organisations["State Migration Service"]["id"]
    created = make_round(person_ids=[directory.person("a.gruber@expert.example.org")], organisation_ids=[sms])
    assert created["is_open"] is True
    assert created["invitee_count"] == 3  # the expert and both people of the migration service
    assert created["visibility"] == "participants"

    listed = api.get("/api/v1/rounds").json()  # organisers read rounds
    assert [r["id"] for r in listed["items"]] == [created["id"]]
    assert api.get(f"/api/v1/rounds/{created['id']}").json()["title"] == created["title"]

    renamed = facilitator.patch(f"/api/v1/rounds/{created['id']}", json={"title": "Round 1"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Round 1"

    draft_tree = api.get(f"/api/v1/rounds/{created['id']}/draft").json()
    assert draft_tree["document_version_id"] == draft.version["id"]
    assert draft_tree["sections"][0]["heading"] == draft.version["sections"][0]["heading"]


def test_round_rules(facilitator, api, draft, directory, client_for):
    person = [directory.person("a.gruber@expert.example.org")]
    body = {
        "document_version_id": draft.version["id"],
        "title": "Round",
        "opens_at": from_now(days=1),
        "closes_at": from_now(days=5),
        "person_ids": person,
    }
    naive = {**body, "opens_at": "2030-01-01T10:00:00"}
    problem(facilitator.post("/api/v1/rounds", json=naive), 422, "opens_at")
    backwards = {**body, "closes_at": from_now(hours=2)}
    problem(facilitator.post("/api/v1/rounds", json=backwards), 422, "closes_at")
    unknown_version = {**body, "document_version_id": "018f4a7e-0000-7000-8000-000000000000"}
    problem(facilitator.post("/api/v1/rounds", json=unknown_version), 422, "document_version_id")
    nobody = {**body, "person_ids": []}
    problem(facilitator.post("/api/v1/rounds", json=nobody), 422, "person_ids")
    unknown_group = {**body, "group_ids": ["018f4a7e-0000-7000-8000-000000000000"]}
    problem(facilitator.post("/api/v1/rounds", json=unknown_group), 422, "group_ids")
    problem(api.post("/api/v1/rounds", json=body), 403)  # organisers do not run rounds
    assert client_for(Role.ADMIN).post("/api/v1/rounds", json=body).status_code == 201

    round_ = facilitator.post("/api/v1/rounds", json=body).json()
    assert round_["is_open"] is False
    earlier = facilitator.patch(f"/api/v1/rounds/{round_['id']}", json={"closes_at": from_now(days=3)})
    problem(earlier, 422, "closes_at")
    later = facilitator.patch(f"/api/v1/rounds/{round_['id']}", json={"closes_at": from_now(days=8)})
    assert later.status_code == 200, later.text


def test_invitees_from_groups_and_organisations_are_added_once(make_round, facilitator, api, directory):
    round_ = make_round(person_ids=[directory.person("a.gruber@expert.example.org")])
    group = api.post("/api/v1/groups", json={"name": "Strategy working group"}).json()
    for email in ("i.petrova@ngo.example.org", "a.gruber@expert.example.org"):
        added = api.post(
            f"/api/v1/groups/{group['id']}/members", json={"person_ids": [directory.person(email)]}
        )
        assert added.status_code in (200, 201, 204), added.text
    response = facilitator.post(
        f"/api/v1/rounds/{round_['id']}/invitees",
        json={
            "group_ids": [group["id"]],
            "organisation_ids": [directory.organisations["EU Delegation to Azerbaijan"]["id"]],
        },
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert sorted(result["added"]) == sorted(
        [directory.person("i.petrova@ngo.example.org"), directory.person("l.dubois@eeas.example.org")]
    )
    assert result["already_invited"] == [directory.person("a.gruber@expert.example.org")]
    assert api.get(f"/api/v1/rounds/{round_['id']}").json()["invitee_count"] == 3


def test_a_round_is_on_a_version_and_that_version_cannot_be_deleted(make_round, api, draft):
    make_round()
    upload_version(api, draft.document["id"], 2)
    problem(api.delete(f"/api/v1/documents/{draft.document['id']}"), 409)
