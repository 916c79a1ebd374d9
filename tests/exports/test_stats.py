"""Participation figures: invited / accepted / declined / attended per event, by kind of organisation
and by organisation, comments per round, and the same as a workbook."""

from __future__ import annotations

import io
from uuid import UUID

from openpyxl import load_workbook
from sqlalchemy import update

from consult.invitations.models import Invitation
from tests.exports.conftest import ANNA, GULNARA, IRINA, LUC, RAUF, Scenario
from tests.helpers import problem
from tests.rounds.conftest import from_now


def make_event(api, consultation_id: str, title: str = "Launch of the strategy work") -> dict:
    response = api.post(
        "/api/v1/events",
        json={
            "consultation_id": consultation_id,
            "kind": "launch",
            "format": "in_person",
            "title": title,
            "timezone": "Asia/Baku",
            "starts_at": from_now(days=2),
            "ends_at": from_now(days=2, hours=6),
            "location": "Baku",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_event_and_consultation_figures(api, db, client_for, scenario: Scenario):
    person = scenario.directory.person
    consultation_id = scenario.draft.document["consultation_id"]
    event = make_event(api, consultation_id)
    invited = api.post(
        f"/api/v1/events/{event['id']}/invitations",
        json={"person_ids": [person(e) for e in (GULNARA, RAUF, IRINA, LUC)]},
    )
    assert invited.status_code == 202, invited.text
    invitations = {i["person_id"]: i["id"] for i in invited.json()["created"]}
    for email, answer in ((GULNARA, "accepted"), (RAUF, "accepted"), (IRINA, "declined")):
        db.execute(
            update(Invitation).where(Invitation.id == UUID(invitations[person(email)])).values(rsvp=answer)
        )
    db.commit()

    # Gülnarə by her invitation, Rauf by person id, Anna walked in without an invitation.
    recorded = api.post(
        f"/api/v1/events/{event['id']}/attendance",
        json={"invitation_ids": [invitations[person(GULNARA)]], "person_ids": [person(RAUF), person(ANNA)]},
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["attended"] == 3
    again = api.post(f"/api/v1/events/{event['id']}/attendance", json={"person_ids": [person(RAUF)]})
    assert again.json()["added"] == [] and again.json()["attended"] == 3
    problem(api.post(f"/api/v1/events/{event['id']}/attendance", json={"invitation_ids": [event["id"]]}), 422)
    problem(api.post(f"/api/v1/events/{event['id']}/attendance", json={}), 422)

    stats = api.get(f"/api/v1/events/{event['id']}/stats").json()
    assert stats["totals"] == {
        "invited": 4,
        "accepted": 2,
        "declined": 1,
        "tentative": 0,
        "no_answer": 1,
        "attended": 3,
        "attended_uninvited": 1,
        "checked_in": 0,  # recorded by hand (tests/attendance count check-ins and minutes)
        "online": 0,
        "online_minutes": 0,
    }
    by_kind = {g["label"]: g["figures"] for g in stats["by_organisation_kind"]}
    assert by_kind["government"]["invited"] == 2 and by_kind["government"]["attended"] == 2
    assert by_kind["ngo"] == {**by_kind["ngo"], "invited": 1, "declined": 1, "attended": 0}
    assert by_kind["individuals"]["attended_uninvited"] == 1
    by_org = {g["label"]: g["figures"] for g in stats["by_organisation"]}
    assert by_org["State Migration Service"]["accepted"] == 2
    assert by_org["EU Delegation to Azerbaijan"]["no_answer"] == 1

    # Taking someone off the list.
    removed = api.post(
        f"/api/v1/events/{event['id']}/attendance", json={"person_ids": [person(ANNA)], "attended": False}
    )
    assert removed.json()["removed"] == [person(ANNA)] and removed.json()["attended"] == 2

    whole = api.get(f"/api/v1/consultations/{consultation_id}/stats").json()
    assert whole["headline"]["participants"] == 2
    assert whole["headline"]["organisations"] == 1
    assert whole["headline"]["comments"] == 9  # hidden and withdrawn left out
    assert whole["headline"]["commenting_organisations"] == 3
    (round_,) = whole["rounds"]
    assert (round_["comments"], round_["threads"], round_["replies"]) == (9, 6, 3)
    assert round_["invited_organisations"] == 3 and round_["organisations_that_commented"] == 3
    assert {g["label"]: g["count"] for g in round_["by_organisation_kind"]} == {
        "government": 5,
        "ngo": 2,
        "international": 1,
        "individuals": 1,
    }

    for url in (
        f"/api/v1/consultations/{consultation_id}/stats.xlsx",
        f"/api/v1/consultations/{consultation_id}/stats?format=xlsx",
    ):
        response = api.get(url)
        assert response.status_code == 200, response.text
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["Summary", "Events", "Rounds"]
        summary = {r[0]: r[1] for r in workbook["Summary"].iter_rows(values_only=True) if r and r[0]}
        assert summary["Participants (attended at least one event)"] == 2
        events = list(workbook["Events"].iter_rows(values_only=True))
        assert events[0][1] == "Starts (Baku time)"  # the event's zone
        assert events[1][2:] == ("All invited", None, 4, 2, 1, 0, 1, 2, 0, 0, 0, 0)
        rounds = list(workbook["Rounds"].iter_rows(values_only=True))
        assert rounds[1][2:5] == (9, 6, 3)


def test_who_sees_stats(client_for, link_for, scenario: Scenario, facilitator, api):
    consultation_id = scenario.draft.document["consultation_id"]
    event = make_event(api, consultation_id)
    assert facilitator.get(f"/api/v1/consultations/{consultation_id}/stats").status_code == 200
    problem(facilitator.post(f"/api/v1/events/{event['id']}/attendance", json={"person_ids": []}), 403)
    stakeholder = link_for(scenario.round["id"], scenario.directory.person(GULNARA))
    problem(stakeholder.get(f"/api/v1/consultations/{consultation_id}/stats"), 403)
    problem(stakeholder.get(f"/api/v1/events/{event['id']}/stats"), 403)
    problem(api.get("/api/v1/events/0190f5e0-0000-7000-8000-000000000000/stats"), 404)
