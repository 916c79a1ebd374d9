from __future__ import annotations

import pytest

from consult.auth.models import Role
from tests.helpers import problem

LAUNCH_AGENDA = [
    {"starts_at": "2027-03-10T10:00:00", "title": "Opening: the strategy and its partners", "speaker": "SMS"},
    {"starts_at": "2027-03-10T10:30:00", "title": "Overview of MIEUX+ and MOBILAZE 2 in the region"},
    {"starts_at": "2027-03-10T11:30:00", "title": "Capacities and needs of the institutions involved"},
    {"starts_at": "2027-03-10T14:00:00", "title": "Goals and pillars of the strategy"},
]


@pytest.fixture
def consultation(api):
    response = api.post(
        "/api/v1/consultations",
        json={"title": "Migrant integration strategy 2026-2030", "description": "First national strategy"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def launch_event(consultation_id: str, **overrides):
    return {
        "consultation_id": consultation_id,
        "kind": "launch",
        "format": "in_person",
        "title": "Launch of the migrant integration strategy",
        "timezone": "Asia/Baku",
        "starts_at": "2027-03-10T10:00:00",
        "ends_at": "2027-03-10T16:00:00",
        "location": "Hilton Baku, Azadliq Avenue 1, Baku",
        "capacity": 45,
        "agenda": LAUNCH_AGENDA,
        **overrides,
    }


def test_local_times_are_read_in_the_event_zone_and_returned_in_both(api, consultation):
    response = api.post("/api/v1/events", json=launch_event(consultation["id"]))
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["starts_at"] == "2027-03-10T06:00:00Z"
    assert event["ends_at"] == "2027-03-10T12:00:00Z"
    assert event["starts_at_local"] == "2027-03-10T10:00:00+04:00"
    assert event["timezone"] == "Asia/Baku"
    assert event["status"] == "scheduled"
    assert event["sequence"] == 0
    assert [item["starts_at"] for item in event["agenda"]] == [
        "2027-03-10T06:00:00Z",
        "2027-03-10T06:30:00Z",
        "2027-03-10T07:30:00Z",
        "2027-03-10T10:00:00Z",
    ]
    assert event["agenda"][0]["speaker"] == "SMS"
    assert api.get(f"/api/v1/events/{event['id']}").json() == event


def test_times_with_an_offset_are_taken_as_given(api, consultation):
    body = launch_event(
        consultation["id"], starts_at="2027-03-10T07:00:00+01:00", ends_at="2027-03-10T12:00:00Z", agenda=[]
    )
    event = api.post("/api/v1/events", json=body).json()
    assert event["starts_at"] == "2027-03-10T06:00:00Z"
    assert event["ends_at_local"] == "2027-03-10T16:00:00+04:00"


def test_an_event_across_a_dst_change_keeps_its_real_duration(api, consultation):
    # Brussels moves from UTC+1 to UTC+2 at 02:00 on 2027-03-28: 22:00 to 04:00 local is five hours.
    body = {
        "consultation_id": consultation["id"],
        "kind": "round_table",
        "format": "online",
        "title": "Night round table with the Vienna and Baku teams",
        "timezone": "Europe/Brussels",
        "starts_at": "2027-03-27T22:00:00",
        "ends_at": "2027-03-28T04:00:00",
        "online_url": "https://meet.example.org/integration-rt1",
    }
    event = api.post("/api/v1/events", json=body).json()
    assert event["starts_at"] == "2027-03-27T21:00:00Z"
    assert event["ends_at"] == "2027-03-28T02:00:00Z"
    assert event["starts_at_local"].endswith("+01:00")
    assert event["ends_at_local"] == "2027-03-28T04:00:00+02:00"

    skipped = {**body, "starts_at": "2027-03-28T02:30:00", "ends_at": "2027-03-28T05:00:00"}
    problem(api.post("/api/v1/events", json=skipped), 422, "starts_at")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Asia/Bakuu"}, "timezone"),
        ({"ends_at": "2027-03-10T09:00:00"}, "ends_at"),
        ({"format": "online", "location": None}, "online_url"),
        ({"location": None}, "location"),
        ({"format": "hybrid", "online_url": "ftp://files.example.org"}, "online_url"),
        ({"capacity": 0}, "capacity"),
        ({"kind": "party"}, "kind"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"agenda": [{"starts_at": "2027-03-10T18:00:00", "title": "Dinner"}]}, "agenda[0].starts_at"),
        ({"agenda": [{"starts_at": "2027-03-10T11:00:00"}]}, "agenda[0].title"),
    ],
)
def test_invalid_events_are_refused_naming_the_field(api, consultation, overrides, field):
    problem(api.post("/api/v1/events", json=launch_event(consultation["id"], **overrides)), 422, field)
    assert api.get("/api/v1/events").json()["total"] == 0


def test_an_event_needs_an_existing_consultation(api):
    body = launch_event("018f4a7e-0000-7000-8000-000000000000")
    problem(api.post("/api/v1/events", json=body), 422, "consultation_id")


def test_events_are_listed_in_the_order_they_happen_with_filters(api, consultation):
    other = api.post("/api/v1/consultations", json={"title": "Training programme"}).json()
    dates = ["2027-05-04", "2027-03-10", "2027-04-01"]
    for day in dates:
        body = launch_event(
            consultation["id"], starts_at=f"{day}T10:00:00", ends_at=f"{day}T12:00:00", agenda=[], title=day
        )
        assert api.post("/api/v1/events", json=body).status_code == 201
    api.post(
        "/api/v1/events",
        json=launch_event(
            other["id"],
            kind="training",
            starts_at="2027-03-01T09:00:00",
            ends_at="2027-03-01T17:00:00",
            agenda=[],
            title="Training",
        ),
    )
    listed = api.get("/api/v1/events", params={"consultation_id": consultation["id"]}).json()
    assert [e["title"] for e in listed["items"]] == ["2027-03-10", "2027-04-01", "2027-05-04"]
    assert listed["total"] == 3
    in_range = api.get("/api/v1/events", params={"from": "2027-03-05", "to": "2027-04-15"}).json()
    assert [e["title"] for e in in_range["items"]] == ["2027-03-10", "2027-04-01"]
    assert api.get("/api/v1/events", params={"kind": "training"}).json()["total"] == 1
    problem(api.get("/api/v1/events", params={"from": "soon"}), 422, "from")


def test_rescheduling_bumps_the_sequence_and_moves_the_agenda(api, consultation):
    event = api.post("/api/v1/events", json=launch_event(consultation["id"])).json()
    retitled = api.patch(f"/api/v1/events/{event['id']}", json={"title": "Strategy launch"}).json()
    assert retitled["title"] == "Strategy launch"
    assert retitled["sequence"] == 0

    moved = api.patch(
        f"/api/v1/events/{event['id']}",
        json={"starts_at": "2027-03-11T11:00:00", "ends_at": "2027-03-11T17:00:00"},
    )
    assert moved.status_code == 200, moved.text
    moved = moved.json()
    assert moved["sequence"] == 1
    assert moved["starts_at"] == "2027-03-11T07:00:00Z"
    assert moved["agenda"][0]["starts_at_local"] == "2027-03-11T11:00:00+04:00"
    assert moved["agenda"][-1]["starts_at_local"] == "2027-03-11T15:00:00+04:00"

    too_short = api.patch(f"/api/v1/events/{event['id']}", json={"ends_at": "2027-03-11T12:00:00"})
    problem(too_short, 422, "agenda[3].starts_at")
    new_place = api.patch(f"/api/v1/events/{event['id']}", json={"location": "ADA University, Baku"}).json()
    assert new_place["sequence"] == 2
    problem(
        api.patch(f"/api/v1/events/{event['id']}", json={"ends_at": "2027-03-11T06:00:00"}), 422, "ends_at"
    )
    assert api.get(f"/api/v1/events/{event['id']}").json()["sequence"] == 2


def test_cancellation(api, consultation):
    event = api.post("/api/v1/events", json=launch_event(consultation["id"])).json()
    problem(api.post(f"/api/v1/events/{event['id']}/cancel", json={}), 422, "reason")
    cancelled = api.post(f"/api/v1/events/{event['id']}/cancel", json={"reason": "Venue unavailable"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation_reason"] == "Venue unavailable"
    assert cancelled.json()["sequence"] == 1
    problem(api.post(f"/api/v1/events/{event['id']}/cancel", json={"reason": "again"}), 409)
    problem(api.patch(f"/api/v1/events/{event['id']}", json={"title": "Back on"}), 409)
    assert api.get("/api/v1/events", params={"status": "cancelled"}).json()["total"] == 1


def test_consultations_with_events_cannot_be_deleted(api, consultation):
    event = api.post("/api/v1/events", json=launch_event(consultation["id"])).json()
    problem(api.delete(f"/api/v1/consultations/{consultation['id']}"), 409)
    assert api.delete(f"/api/v1/events/{event['id']}").status_code == 204
    assert api.delete(f"/api/v1/consultations/{consultation['id']}").status_code == 204
    problem(api.get(f"/api/v1/consultations/{consultation['id']}"), 404)
    problem(api.get(f"/api/v1/events/{event['id']}"), 404)


def test_facilitators_read_events_but_do_not_schedule_them(client_for, consultation):
    facilitator = client_for(Role.FACILITATOR)
    assert facilitator.get("/api/v1/consultations").json()["total"] == 1
    problem(facilitator.post("/api/v1/events", json=launch_event(consultation["id"])), 403)
    problem(facilitator.post("/api/v1/consultations", json={"title": "x"}), 403)
