"""Check-in at the door with the invitation's code, walk-ins, and the attendance list."""

from __future__ import annotations

import datetime as dt
import threading

import httpx
from sqlalchemy import func, select

from consult.attendance.models import EventAttendance
from consult.auth.models import Role
from tests.attendance.conftest import (
    ANNA,
    GULNARA,
    IRINA,
    LUC,
    WALK_IN,
    Scenario,
    code_of,
    invite,
    make_event,
)
from tests.helpers import problem


def _attendance(api, event: dict) -> dict[str, dict]:
    listed = api.get(f"/api/v1/events/{event['id']}/attendance")
    assert listed.status_code == 200, listed.text
    return {a["person"]["email"]: a for a in listed.json()["items"]}


def test_a_code_checks_its_holder_in_once(api, client_for, scenario: Scenario):
    event = scenario.event
    code = code_of(scenario.invitations[GULNARA])
    assert len(code) == 11 and code[5] == "-"
    desk = client_for(Role.FACILITATOR)  # facilitators run the desk too

    # Typed at the desk: lower case, a space instead of the dash, O for 0 and I for 1 are all read.
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "i")
    first = desk.post(f"/api/v1/events/{event['id']}/check-in", json={"code": typed})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["already_checked_in"] is False
    assert body["attendance"]["person"]["email"] == GULNARA
    assert body["attendance"]["source"] == "checked_in" and body["attendance"]["walk_in"] is False
    checked_in_at = dt.datetime.fromisoformat(body["checked_in_at"])
    assert abs(dt.datetime.now(dt.UTC) - checked_in_at) < dt.timedelta(minutes=1)

    again = api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": code})
    assert again.status_code == 200, again.text
    assert again.json()["already_checked_in"] is True
    assert again.json()["checked_in_at"] == body["checked_in_at"]

    listed = _attendance(api, event)
    assert list(listed) == [GULNARA]
    assert listed[GULNARA]["checked_in_at"] == body["checked_in_at"]

    # The invitation list says who came.
    invitations = api.get(f"/api/v1/events/{event['id']}/invitations").json()["items"]
    came = {i["person"]["email"]: i["attendance"] for i in invitations}
    assert came[GULNARA] == {"source": "checked_in", "checked_in_at": body["checked_in_at"], "minutes": None}
    assert came[IRINA] is None


def test_codes_of_other_events_and_made_up_codes_are_refused(api, client_for, scenario: Scenario):
    event = scenario.event
    other = make_event(api, scenario.consultation["id"], title="Workshop on language courses")
    foreign = invite(api, other, [scenario.person(WALK_IN)])[WALK_IN]

    refused = problem(
        api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": code_of(foreign)}), 422, "code"
    )
    assert "another event" in refused["detail"]
    problem(api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": "ABCDE-FGHJK"}), 422, "code")
    problem(api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": "not a code!"}), 422, "code")
    problem(api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": ""}), 422)
    problem(api.post(f"/api/v1/events/{event['id']}/check-in", json={}), 422, "code")
    # Withdrawn: refused, with what to do instead.
    assert api.delete(f"/api/v1/events/{event['id']}/invitations/{scenario.invitations[LUC]}").is_success
    withdrawn = problem(
        api.post(f"/api/v1/events/{event['id']}/check-in", json={"code": code_of(scenario.invitations[LUC])}),
        409,
    )
    assert "walk-in" in withdrawn["detail"]
    # An online event has no door.
    online = make_event(api, scenario.consultation["id"], format="online", location=None)
    online_code = code_of(invite(api, online, [scenario.person(ANNA)])[ANNA])
    problem(api.post(f"/api/v1/events/{online['id']}/check-in", json={"code": online_code}), 409)
    # Stakeholders and the intake have no say; nothing was recorded by any of it.
    problem(
        client_for(Role.INTAKE).post(
            f"/api/v1/events/{event['id']}/check-in", json={"code": code_of(scenario.invitations[ANNA])}
        ),
        403,
    )
    assert _attendance(api, event) == {}


def _scan_at_once(desks: list[httpx.Client], url: str, code: str) -> list[httpx.Response]:
    barrier = threading.Barrier(len(desks))
    answers: list[httpx.Response] = []

    def scan(desk: httpx.Client) -> None:
        barrier.wait()
        answers.append(desk.post(url, json={"code": code}))

    threads = [threading.Thread(target=scan, args=(desk,)) for desk in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_desks_scanning_one_code_at_once_record_one_attendance(api, client_for, db, scenario: Scenario):
    event = scenario.event
    desks = [client_for(Role.ORGANISER), client_for(Role.FACILITATOR)]
    for email in (GULNARA, IRINA, ANNA):
        answers = _scan_at_once(
            desks, f"/api/v1/events/{event['id']}/check-in", code_of(scenario.invitations[email])
        )
        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        assert len({a.json()["checked_in_at"] for a in answers}) == 1
    count = db.scalar(
        select(func.count()).select_from(EventAttendance).where(EventAttendance.event_id == event["id"])
    )
    assert count == 3


def test_walk_ins_are_recorded_by_person(api, client_for, scenario: Scenario):
    event = scenario.event
    walk_in = scenario.person(WALK_IN)
    recorded = api.post(f"/api/v1/events/{event['id']}/attendance", json={"person_ids": [walk_in]})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["added"] == [walk_in] and recorded.json()["attended"] == 1
    listed = _attendance(api, event)[WALK_IN]
    assert listed["walk_in"] is True and listed["source"] == "recorded" and listed["checked_in_at"] is None
    # An invitee recorded by hand (they forgot their code) is not a walk-in; checking them in later
    # adds the time and keeps how they were first recorded.
    api.post(
        f"/api/v1/events/{event['id']}/attendance", json={"invitation_ids": [scenario.invitations[ANNA]]}
    )
    assert _attendance(api, event)[ANNA]["walk_in"] is False
    late = api.post(
        f"/api/v1/events/{event['id']}/check-in", json={"code": code_of(scenario.invitations[ANNA])}
    )
    assert late.status_code == 201 and late.json()["attendance"]["source"] == "recorded"
    # Only organisers record by hand; a facilitator at the desk checks codes.
    problem(
        client_for(Role.FACILITATOR).post(
            f"/api/v1/events/{event['id']}/attendance", json={"person_ids": [walk_in]}
        ),
        403,
    )
    problem(api.post(f"/api/v1/events/{event['id']}/attendance", json={"person_ids": [event["id"]]}), 422)
