from __future__ import annotations

import pytest

from consult.auth.models import Role
from tests.helpers import problem

SMS = {"name": "State Migration Service", "kind": "government", "country": "az"}


def test_organisation_crud_and_search(api):
    created = api.post("/api/v1/organisations", json=SMS)
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["country"] == "AZ"
    assert org["kind"] == "government"

    api.post("/api/v1/organisations", json={"name": "Legal Aid Centre", "kind": "ngo"})
    found = api.get("/api/v1/organisations", params={"q": "migration"}).json()
    assert found["total"] == 1
    assert found["items"][0]["id"] == org["id"]
    by_kind = api.get("/api/v1/organisations", params={"kind": "ngo"}).json()
    assert [o["name"] for o in by_kind["items"]] == ["Legal Aid Centre"]

    patched = api.patch(f"/api/v1/organisations/{org['id']}", json={"website": "https://migration.gov.az"})
    assert patched.status_code == 200
    assert patched.json()["website"] == "https://migration.gov.az"
    assert patched.json()["name"] == SMS["name"]

    assert api.delete(f"/api/v1/organisations/{org['id']}").status_code == 204
    problem(api.get(f"/api/v1/organisations/{org['id']}"), 404)


def test_organisation_names_are_unique_regardless_of_case(api):
    assert api.post("/api/v1/organisations", json=SMS).status_code == 201
    problem(api.post("/api/v1/organisations", json={**SMS, "name": "state migration SERVICE"}), 409, "name")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "kind": "church"}, "kind"),
        ({"name": "X", "kind": "ngo", "country": "ZZ"}, "country"),
        ({"name": "", "kind": "ngo"}, "name"),
        ({"name": "X", "kind": "ngo", "website": "javascript:alert(1)"}, "website"),
        ({"kind": "ngo"}, "name"),
        ({"name": "X", "kind": "ngo", "colour": "red"}, "colour"),
    ],
)
def test_organisation_validation_names_the_field(api, body, field):
    problem(api.post("/api/v1/organisations", json=body), 422, field)


def test_person_lifecycle_with_azerbaijani_and_cyrillic_names(api):
    org = api.post("/api/v1/organisations", json=SMS).json()
    body = {
        "full_name": "Gülnarə Şükürova",
        "email": "G.Shukurova@Migration.gov.az",
        "organisation_id": org["id"],
        "position": "Head of integration unit",
        "language": "az",
        "timezone": "Asia/Baku",
    }
    created = api.post("/api/v1/people", json=body)
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["email"] == "g.shukurova@migration.gov.az"
    assert person["full_name"] == "Gülnarə Şükürova"

    russian = api.post(
        "/api/v1/people",
        json={
            "full_name": "Ирина Петрова",
            "email": "i.petrova@example.org",
            "language": "ru",
            "timezone": "Europe/Vienna",
        },
    )
    assert russian.status_code == 201

    problem(api.post("/api/v1/people", json={**body, "email": "g.shukurova@MIGRATION.gov.az"}), 409, "email")
    assert api.get("/api/v1/people", params={"q": "şükür"}).json()["total"] == 1
    assert api.get("/api/v1/people", params={"q": "петров"}).json()["total"] == 1
    assert api.get("/api/v1/people", params={"organisation_id": org["id"]}).json()["total"] == 1

    problem(api.delete(f"/api/v1/organisations/{org['id']}"), 409)
    assert api.get(f"/api/v1/organisations/{org['id']}").status_code == 200

    patched = api.patch(f"/api/v1/people/{person['id']}", json={"timezone": "Europe/Brussels"})
    assert patched.json()["timezone"] == "Europe/Brussels"
    problem(api.patch(f"/api/v1/people/{person['id']}", json={"timezone": "Mars/Olympus"}), 422, "timezone")
    assert api.get(f"/api/v1/people/{person['id']}").json()["timezone"] == "Europe/Brussels"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"timezone": "Baku"}, "timezone"),
        ({"language": "de"}, "language"),
        ({"organisation_id": "018f4a7e-0000-7000-8000-000000000000"}, "organisation_id"),
        ({"organisation_id": "not-a-uuid"}, "organisation_id"),
    ],
)
def test_person_validation_names_the_field(api, change, field):
    body = {"full_name": "Test Person", "email": "test@example.org", **change}
    problem(api.post("/api/v1/people", json=body), 422, field)
    assert api.get("/api/v1/people").json()["total"] == 0


def test_groups_and_members(api):
    people = [
        api.post("/api/v1/people", json={"full_name": f"Member {i}", "email": f"m{i}@example.org"}).json()
        for i in range(3)
    ]
    group = api.post(
        "/api/v1/groups",
        json={"name": "Strategy working group", "person_ids": [people[0]["id"], people[1]["id"]]},
    )
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    assert group.json()["member_count"] == 2

    added = api.post(f"/api/v1/groups/{gid}/members", json={"person_ids": [people[1]["id"], people[2]["id"]]})
    assert added.json()["member_count"] == 3
    members = api.get(f"/api/v1/groups/{gid}/members").json()
    assert sorted(m["full_name"] for m in members["items"]) == ["Member 0", "Member 1", "Member 2"]
    assert api.get("/api/v1/people", params={"group_id": gid}).json()["total"] == 3

    assert api.delete(f"/api/v1/groups/{gid}/members/{people[0]['id']}").status_code == 204
    assert api.get(f"/api/v1/groups/{gid}").json()["member_count"] == 2
    replaced = api.put(f"/api/v1/groups/{gid}/members", json={"person_ids": [people[0]["id"]]})
    assert replaced.json()["member_count"] == 1

    problem(
        api.post(
            f"/api/v1/groups/{gid}/members", json={"person_ids": ["018f4a7e-0000-7000-8000-000000000000"]}
        ),
        422,
        "person_ids",
    )
    listed = api.get("/api/v1/groups").json()
    assert listed["items"][0]["member_count"] == 1


def test_pagination_bounds_and_totals(api):
    for i in range(7):
        api.post("/api/v1/organisations", json={"name": f"Org {i:02d}", "kind": "other"})
    first = api.get("/api/v1/organisations", params={"limit": 3}).json()
    second = api.get("/api/v1/organisations", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] == 7
    assert [o["name"] for o in first["items"] + second["items"]] == [f"Org {i:02d}" for i in range(6)]
    problem(api.get("/api/v1/organisations", params={"limit": 0}), 422, "limit")
    problem(api.get("/api/v1/organisations", params={"limit": 1000}), 422, "limit")
    problem(api.get("/api/v1/organisations", params={"offset": -1}), 422, "offset")


def test_every_api_call_needs_a_valid_token(client_for):
    anonymous = client_for(None)
    problem(anonymous.get("/api/v1/organisations"), 401)
    problem(client_for(None, token="cst_forged").get("/api/v1/people"), 401)
    problem(client_for(None, token="something-else").get("/api/v1/people"), 401)


def test_facilitators_read_but_do_not_change_the_directory(client_for):
    organiser = client_for(Role.ORGANISER)
    facilitator = client_for(Role.FACILITATOR)
    org = organiser.post("/api/v1/organisations", json=SMS).json()
    assert facilitator.get("/api/v1/organisations").json()["total"] == 1
    problem(facilitator.post("/api/v1/organisations", json={"name": "Y", "kind": "ngo"}), 403)
    problem(facilitator.patch(f"/api/v1/organisations/{org['id']}", json={"name": "Z"}), 403)
    problem(facilitator.delete(f"/api/v1/organisations/{org['id']}"), 403)
    assert (
        client_for(Role.ADMIN).post("/api/v1/organisations", json={"name": "Y", "kind": "ngo"}).status_code
        == 201
    )


def test_malformed_json_is_a_problem_not_a_crash(api):
    response = api.post(
        "/api/v1/organisations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
