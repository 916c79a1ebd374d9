"""Questionnaires through real HTTP: building and versions, sending, the /q page (drafts, refusals
next to each question, submission, reopening), one official answer per organisation edited by
colleagues without silent overwrites, and the open mode's public page."""

from __future__ import annotations

import datetime as dt
import html
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from sqlalchemy import func, select, update

from consult.questionnaires.models import (
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireResponseChange,
)
from tests.helpers import problem
from tests.questionnaires.conftest import (
    ANNA,
    COMPLETE,
    GULNARA,
    IRINA,
    RAUF,
    definition,
    form_of,
    revision_of,
    texts,
)


def responses(db, questionnaire_id: str) -> list[QuestionnaireResponse]:
    db.expire_all()
    return list(
        db.scalars(
            select(QuestionnaireResponse).where(
                QuestionnaireResponse.questionnaire_id == UUID(questionnaire_id)
            )
        )
    )


def test_definitions_are_checked_and_versions_freeze_once_opened(
    staff, consultation, make_questionnaire, api
):
    url = f"/api/v1/consultations/{consultation['id']}/questionnaires"
    bad = definition()
    bad["sections"][0]["questions"][0]["show_if"] = {"question": "q-gaps", "options": ["staff"]}
    problem(
        staff.post(url, json={"name": "x", "mode": "per_person", "definition": bad}),
        422,
        "sections[0].questions[0].show_if.question",
    )
    missing_language = definition()
    del missing_language["title"]["ru"]
    problem(staff.post(url, json={"name": "x", "mode": "per_person", "definition": missing_language}), 422)
    twice = definition()
    twice["sections"][1]["questions"][0]["key"] = "q-services"
    problem(
        staff.post(url, json={"name": "x", "mode": "per_person", "definition": twice}),
        422,
        "sections[1].questions[0].key",
    )
    bad_scale = definition()
    bad_scale["sections"][0]["questions"][2]["max"] = 50
    problem(
        staff.post(url, json={"name": "x", "mode": "per_person", "definition": bad_scale}),
        422,
        "sections[0].questions[2].max",
    )
    # Organisers (not only facilitators) build questionnaires too.
    assert (
        api.post(url, json={"name": "x", "mode": "per_person", "definition": definition()}).status_code == 201
    )

    draft = make_questionnaire(send=False)
    assert draft["status"] == "draft" and draft["current_version"] == 1
    changed = definition()
    changed["title"]["en"] = "Assessment, revised"
    revised = staff.post(f"/api/v1/questionnaires/{draft['id']}/versions", json={"definition": changed})
    assert revised.status_code == 200 and revised.json()["number"] == 1  # a draft is edited in place
    sent = staff.post(
        f"/api/v1/questionnaires/{draft['id']}/send",
        json={"closes_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(), "person_ids": []},
    )
    problem(sent, 422, "person_ids")  # nobody named
    opened = make_questionnaire()
    again = staff.post(f"/api/v1/questionnaires/{opened['id']}/versions", json={"definition": changed})
    assert again.status_code == 200 and again.json()["number"] == 2 and again.json()["frozen_at"]
    versions = staff.get(f"/api/v1/questionnaires/{opened['id']}/versions").json()
    assert [v["number"] for v in versions] == [1, 2] and all(v["frozen_at"] for v in versions)
    assert versions[0]["definition"]["title"]["en"] == "Capacity and needs assessment"
    problem(staff.delete(f"/api/v1/questionnaires/{opened['id']}"), 409)
    assert staff.delete(f"/api/v1/questionnaires/{draft['id']}").status_code == 204


def test_the_page_saves_drafts_refuses_bad_answers_next_to_the_question_and_submits(
    make_questionnaire, link_for, directory, web, db
):
    questionnaire = make_questionnaire()
    token = link_for(questionnaire["id"], directory.person(GULNARA))
    page = web.get(f"/q/{token}")
    assert page.status_code == 200 and 'lang="az"' in page.text
    assert "Potensial və ehtiyacların qiymətləndirilməsi" in page.text  # noqa: RUF001
    assert "State Migration Service" in page.text  # the organisation's official answer
    assert revision_of(page.text) == 0

    # A forged option key, a number out of bounds, a bad date: refused, nothing written, every
    # field as typed, the summary linking to each question and the message next to it, in az.
    typed = {
        **COMPLETE,
        "q-services": "maybe",
        "q-staff": "-3",
        "q-since": "2024-13-40",
        "q-contact": "<b>Unit</b>",
    }
    refused = web.post(f"/q/{token}", data=form_of(typed, "submit", 0))
    assert refused.status_code == 422
    shown = refused.text
    assert 'class="error-summary"' in shown
    for key in ("q-services", "q-staff", "q-since"):
        assert f'href="#q-{key}"' in shown and f'id="q-{key}-error"' in shown
    assert "Göstərilən variantlardan birini seçin." in shown or "Choose one" not in shown
    assert 'value="-3"' in shown and 'value="2024-13-40"' in shown and html.escape("<b>Unit</b>") in shown
    assert 'value="Interpreters"' in shown
    assert responses(db, questionnaire["id"]) == []

    # A draft may leave required questions empty; a submission may not.
    draft = {"q-services": "yes", "q-readiness": 3}
    saved = web.post(f"/q/{token}", data=form_of(draft, "save", 0))
    assert saved.status_code == 303, saved.text
    [response] = responses(db, questionnaire["id"])
    assert response.status == "draft" and response.answers == {"q-services": "yes", "q-readiness": 3}
    assert response.organisation_id == UUID(directory.organisations["State Migration Service"]["id"])
    assert response.person_id is None and response.organisation_kind == "government"
    page = web.get(f"/q/{token}").text
    assert revision_of(page) == 1 and 'value="3" id="q-q-readiness-3" checked' in page
    incomplete = web.post(f"/q/{token}", data=form_of(draft, "submit", 1))
    assert incomplete.status_code == 422
    assert 'id="q-q-gaps-error"' in incomplete.text and 'id="q-q-priorities-error"' in incomplete.text
    assert responses(db, questionnaire["id"])[0].status == "draft"

    # Answered "no": the question shown only for "yes" is hidden, and its answer dropped.
    submitted = web.post(f"/q/{token}", data=form_of({**COMPLETE, "q-services": "no"}, "submit", 1))
    assert submitted.status_code == 303, submitted.text
    [response] = responses(db, questionnaire["id"])
    assert response.status == "submitted" and "q-gaps" not in response.answers
    assert response.answers["q-priorities"] == {"housing": 3, "jobs": 2}
    assert response.submitted_by_id == UUID(directory.person(GULNARA))
    page = web.get(f"/q/{token}").text
    assert 'id="submitted"' in page and 'name="q.q-gaps"' not in page and 'value="reopen"' in page

    # The colleague cannot submit a second official answer; reopening makes it a draft again.
    rauf = link_for(questionnaire["id"], directory.person(RAUF))
    second = web.post(f"/q/{rauf}", data=form_of(COMPLETE, "submit", 0))
    assert second.status_code == 409
    reopened = web.post(f"/q/{rauf}", data={"action": "reopen", "revision": str(response.revision)})
    assert reopened.status_code == 303
    assert responses(db, questionnaire["id"])[0].status == "draft"
    changes = db.scalars(
        select(QuestionnaireResponseChange.action, QuestionnaireResponseChange.person_id).order_by(
            QuestionnaireResponseChange.revision
        )
    ).all()
    assert [c for c in changes] == ["save", "submit", "reopen"]


def test_two_colleagues_saving_at_once_do_not_overwrite_each_other(
    make_questionnaire, link_for, directory, web, staff, db
):
    questionnaire = make_questionnaire()
    gulnara = link_for(questionnaire["id"], directory.person(GULNARA))
    rauf = link_for(questionnaire["id"], directory.person(RAUF))
    assert web.post(f"/q/{gulnara}", data=form_of({"q-services": "yes"}, "save", 0)).status_code == 303
    # Both open the draft at revision 1; Gülnarə saves first.
    base = revision_of(web.get(f"/q/{rauf}").text)
    assert base == 1
    first = web.post(f"/q/{gulnara}", data=form_of({"q-services": "yes", "q-staff": 40}, "save", base))
    assert first.status_code == 303
    late = web.post(
        f"/q/{rauf}", data=form_of({"q-services": "yes", "q-staff": 35, "q-contact": "Legal"}, "save", base)
    )
    assert late.status_code == 409
    shown = late.text
    assert 'id="changed"' in shown and "Gülnarə Şükürova" in shown
    assert 'value="35"' in shown and 'value="Legal"' in shown  # nothing he typed is lost
    assert "<strong>40</strong>" in shown  # and he sees her change
    assert revision_of(shown) == 2  # saving again now is a knowing choice
    [response] = responses(db, questionnaire["id"])
    assert response.answers == {"q-services": "yes", "q-staff": 40} and response.revision == 2

    # At the very same moment, from many requests: exactly one save per revision wins.
    def save(n: int):
        token = gulnara if n % 2 else rauf
        return web.post(f"/q/{token}", data=form_of({"q-services": "yes", "q-staff": n}, "save", 2))

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(save, range(6)))
    assert sorted(r.status_code for r in results) == [303, 409, 409, 409, 409, 409]
    [response] = responses(db, questionnaire["id"])
    assert response.revision == 3
    history = staff.get(
        f"/api/v1/questionnaires/{questionnaire['id']}/responses/{response.id}/changes"
    ).json()
    assert [c["revision"] for c in history] == [1, 2, 3]
    assert history[1]["person_id"] == directory.person(GULNARA) and history[1]["changed_keys"] == ["q-staff"]


def test_first_saves_of_two_colleagues_at_once_make_one_response(
    make_questionnaire, link_for, directory, web, db
):
    questionnaire = make_questionnaire()
    tokens = [link_for(questionnaire["id"], directory.person(email)) for email in (GULNARA, RAUF)] * 3
    with ThreadPoolExecutor(6) as pool:
        results = list(
            pool.map(lambda t: web.post(f"/q/{t}", data=form_of({"q-services": "no"}, "save", 0)), tokens)
        )
    assert sorted(r.status_code for r in results) == [303, 409, 409, 409, 409, 409]
    assert len(responses(db, questionnaire["id"])) == 1


def test_per_person_answers_and_the_api_errors(make_questionnaire, link_for, directory, web, staff, db):
    questionnaire = make_questionnaire(mode="per_person")
    irina = link_for(questionnaire["id"], directory.person(IRINA))
    page = web.get(f"/q/{irina}")
    assert 'lang="ru"' in page.text and "Оценка потенциала и потребностей" in page.text
    assert web.post(f"/q/{irina}", data=form_of(COMPLETE, "submit", 0)).status_code == 303
    anna = link_for(questionnaire["id"], directory.person(ANNA))
    assert web.post(f"/q/{anna}", data=form_of(COMPLETE, "submit", 0)).status_code == 303
    listed = staff.get(f"/api/v1/questionnaires/{questionnaire['id']}/responses?status=submitted").json()
    assert listed["total"] == 2
    by_person = {r["person_id"]: r for r in listed["items"]}
    assert by_person[directory.person(IRINA)]["organisation_kind"] == "ngo"
    assert by_person[directory.person(ANNA)]["organisation_id"] is None

    # After closing: no submission, no reopening.
    closed = staff.post(f"/api/v1/questionnaires/{questionnaire['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    problem(staff.post(f"/api/v1/questionnaires/{questionnaire['id']}/close"), 409)
    late = web.post(f"/q/{anna}", data={"action": "reopen", "revision": "1"})
    assert late.status_code == 409 and "Error" not in late.text[:200]
    gulnara = link_for(questionnaire["id"], directory.person(GULNARA))
    after = web.post(f"/q/{gulnara}", data=form_of(COMPLETE, "submit", 0))
    assert after.status_code == 409
    assert len(responses(db, questionnaire["id"])) == 2


def test_a_change_after_opening_is_a_new_version_and_answers_keep_theirs(
    make_questionnaire, link_for, directory, web, staff, db
):
    questionnaire = make_questionnaire(mode="per_person")
    irina = link_for(questionnaire["id"], directory.person(IRINA))
    assert web.post(f"/q/{irina}", data=form_of(COMPLETE, "submit", 0)).status_code == 303
    changed = definition()
    changed["sections"][0]["questions"][0]["options"].append({"key": "partly", "label": texts("Partly")})
    assert (
        staff.post(
            f"/api/v1/questionnaires/{questionnaire['id']}/versions", json={"definition": changed}
        ).status_code
        == 200
    )
    anna = link_for(questionnaire["id"], directory.person(ANNA))
    assert "Partly" in web.get(f"/q/{anna}").text
    assert (
        web.post(f"/q/{anna}", data=form_of({**COMPLETE, "q-services": "partly"}, "submit", 0)).status_code
        == 303
    )
    versions = {r.person_id: r.version_id for r in responses(db, questionnaire["id"])}
    assert versions[UUID(directory.person(IRINA))] != versions[UUID(directory.person(ANNA))]
    # Irina's answer still reads against version 1, where "partly" does not exist.
    reopened = web.post(f"/q/{irina}", data={"action": "reopen", "revision": "1"})
    assert reopened.status_code == 303
    assert "Partly" not in web.get(f"/q/{irina}").text


def test_open_mode_public_page_with_honeypot(make_questionnaire, web, db, staff):
    questionnaire = make_questionnaire(mode="open")
    url = questionnaire["public_url"]
    assert url and "/q/open/" in url
    path = url[url.index("/q/open/") :]
    page = web.get(path, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert page.status_code == 200 and 'lang="ru"' in page.text and 'name="website"' in page.text
    incomplete = web.post(path, data=form_of({"q-services": "yes"}, "submit", 0))
    assert incomplete.status_code == 422 and 'href="#q-q-readiness"' in incomplete.text
    sent = web.post(path, data=form_of(COMPLETE, "submit", 0))
    assert sent.status_code == 303 and sent.headers["location"].endswith("/thanks")
    assert web.get(sent.headers["location"]).status_code == 200
    bot = web.post(path, data=form_of(COMPLETE, "submit", 0, website="http://spam.example"))
    assert bot.status_code == 303 and bot.headers["location"] == sent.headers["location"]
    [response] = responses(db, questionnaire["id"])
    assert response.status == "submitted" and response.attribution == "anonymous"
    assert response.organisation_id is None and response.person_id is None
    # A draft questionnaire has no public page; nor does an unknown key.
    assert web.get("/q/open/nothing-here").status_code == 404


def test_unknown_and_expired_links_show_the_invalid_link_page(
    make_questionnaire, link_for, directory, web, db
):
    questionnaire = make_questionnaire()
    token = link_for(questionnaire["id"], directory.person(GULNARA))
    unknown = web.get("/q/csq_unknown", headers={"Accept-Language": "az"})
    assert unknown.status_code == 404 and 'lang="az"' in unknown.text
    from consult.questionnaires.models import QuestionnaireLink

    db.execute(update(QuestionnaireLink).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    db.commit()
    assert web.get(f"/q/{token}").status_code == 404
    assert web.post(f"/q/{token}", data=form_of(COMPLETE, "submit", 0)).status_code == 404
    assert db.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 0
    assert db.get(Questionnaire, UUID(questionnaire["id"])) is not None


def test_revoking_a_persons_links_cuts_their_questionnaire_links(
    make_questionnaire, link_for, directory, web, api
):
    questionnaire = make_questionnaire()
    token = link_for(questionnaire["id"], directory.person(IRINA))
    assert web.get(f"/q/{token}").status_code == 200
    revoked = api.post(f"/api/v1/people/{directory.person(IRINA)}/revoke-links")
    # (a worker running in this session may have emailed her a link of her own as well)
    assert revoked.status_code == 200 and revoked.json()["questionnaire_links"] >= 1
    assert web.get(f"/q/{token}").status_code == 404


def test_a_persons_data_copy_holds_their_questionnaire_answers(
    make_questionnaire, link_for, directory, web, client_for
):
    import io
    import json
    import zipfile

    from consult.auth.models import Role

    questionnaire = make_questionnaire(mode="per_person")
    token = link_for(questionnaire["id"], directory.person(ANNA))
    assert web.post(f"/q/{token}", data=form_of(COMPLETE, "submit", 0)).status_code == 303
    archive = client_for(Role.ADMIN).get(f"/api/v1/people/{directory.person(ANNA)}/data")
    assert archive.status_code == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(archive.content)).read("data.json"))
    [answer] = data["questionnaires"]["answers"]
    assert answer["status"] == "submitted" and answer["answers"]["q-needs"] == "Training."
    assert [c["action"] for c in data["questionnaires"]["changes"]] == ["submit"]
    assert len(data["links"]["questionnaire"]) >= 1
