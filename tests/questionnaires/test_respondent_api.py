"""The respondents' API over real HTTP: the bearer of a personal questionnaire link reads the
questionnaire and saves, submits and reopens their (organisation's) response, with the same rules
and problems as the page; nobody else gets in."""

from __future__ import annotations

from tests.helpers import problem
from tests.questionnaires.conftest import ANNA, COMPLETE, GULNARA, RAUF
from tests.questionnaires.test_questionnaires import responses


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_respondent_saves_submits_and_reopens_the_official_answer(
    make_questionnaire, link_for, directory, web, db
):
    questionnaire = make_questionnaire()
    qid = questionnaire["id"]
    url = f"/api/v1/questionnaires/{qid}/my-response"
    gulnara = bearer(link_for(qid, directory.person(GULNARA)))

    view = web.get(url, headers=gulnara)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["response"] is None and body["takes_answers"] is True and body["mode"] == "per_organisation"
    assert body["organisation_id"] == directory.organisations["State Migration Service"]["id"]
    assert body["definition"]["title"]["az"] == "Potensial və ehtiyacların qiymətləndirilməsi"  # noqa: RUF001

    # Bad answers are refused as a whole, each named: a forged option, out of bounds, a bad date.
    bad = {**COMPLETE, "q-services": "maybe", "q-staff": -3, "q-since": "2024-13-40"}
    refused = problem(web.put(url, headers=gulnara, json={"answers": bad, "submit": True}), 422)
    assert {e["field"] for e in refused["errors"]} == {
        "answers.q-services",
        "answers.q-staff",
        "answers.q-since",
    }
    assert responses(db, qid) == []
    # A required question left empty is refused on submitting, not in a draft.
    problem(web.put(url, headers=gulnara, json={"answers": {"q-services": "yes"}, "submit": True}), 422)
    draft = web.put(url, headers=gulnara, json={"answers": {"q-services": "yes"}})
    assert draft.status_code == 200, draft.text
    assert draft.json()["status"] == "draft" and draft.json()["revision"] == 1

    # A colleague's save based on an older revision is told, not applied.
    rauf = bearer(link_for(qid, directory.person(RAUF)))
    assert web.get(url, headers=rauf).json()["response"]["answers"] == {"q-services": "yes"}
    stale = problem(web.put(url, headers=rauf, json={"answers": {"q-services": "no"}, "revision": 0}), 409)
    assert "revision 1" in stale["detail"]

    submitted = web.put(url, headers=rauf, json={"answers": COMPLETE, "revision": 1, "submit": True})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_by_id"] == directory.person(RAUF)
    # A second official submission from the same organisation: a conflict, nothing changed.
    problem(web.put(url, headers=gulnara, json={"answers": COMPLETE, "revision": 2, "submit": True}), 409)
    [response] = responses(db, qid)
    assert response.status == "submitted" and response.revision == 2

    problem(web.post(f"{url}/reopen", headers=gulnara, json={"revision": 1}), 409)  # not the latest
    reopened = web.post(f"{url}/reopen", headers=gulnara, json={"revision": 2})
    assert reopened.status_code == 200 and reopened.json()["status"] == "draft"
    assert responses(db, qid)[0].status == "draft"


def test_only_the_links_bearer_gets_in_and_only_while_open(
    make_questionnaire, link_for, directory, web, staff, db
):
    questionnaire = make_questionnaire("per_person")
    other = make_questionnaire("per_person")
    url = f"/api/v1/questionnaires/{questionnaire['id']}/my-response"
    anna = bearer(link_for(questionnaire["id"], directory.person(ANNA)))

    problem(web.get(url), 401)
    problem(web.get(url, headers=bearer("csq_" + "x" * 43)), 401)  # an unknown link
    problem(staff.get(url), 403)  # staff read results, they do not answer
    problem(web.get(f"/api/v1/questionnaires/{other['id']}/my-response", headers=anna), 403)
    problem(web.get("/api/v1/people", headers=anna), 403)  # a respondent's token opens nothing else
    problem(web.put(url, headers=anna, json={"answers": {}, "unknown": 1}), 422, "unknown")

    mine = web.put(url, headers=anna, json={"answers": COMPLETE, "submit": True, "attribution": "anonymous"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["person_id"] == directory.person(ANNA) and mine.json()["attribution"] == "anonymous"

    assert staff.post(f"/api/v1/questionnaires/{questionnaire['id']}/close").status_code == 200
    closed = web.get(url, headers=anna)
    assert closed.status_code == 200 and closed.json()["takes_answers"] is False  # read on after closing
    problem(web.post(f"{url}/reopen", headers=anna, json={"revision": 1}), 409)
    [response] = responses(db, questionnaire["id"])
    assert response.status == "submitted"
