"""The results' rollup follows submissions and reopenings through the real page, and the counts read
from it agree with a recount from the responses themselves."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from consult.questionnaires.models import QuestionnaireTally
from tests.questionnaires.conftest import COMPLETE, GULNARA, form_of, revision_of


def _by_key(items: list[dict]) -> dict[str, dict]:
    return {item["key"]: item for item in items}


def _tally_rows(db, questionnaire_id: str) -> set[tuple]:
    db.expire_all()
    return {
        (t.version_id, t.question_key, t.row_key, t.value_key, t.organisation_kind, t.country, t.count)
        for t in db.scalars(
            select(QuestionnaireTally).where(QuestionnaireTally.questionnaire_id == UUID(questionnaire_id))
        )
        if t.count
    }


def test_reopening_and_resubmitting_moves_the_counts(
    make_questionnaire, link_for, directory, web, staff, api
):
    smc = directory.organisations["State Migration Service"]
    moved = api.patch(f"/api/v1/organisations/{smc['id']}", json={"country": "GE"})
    assert moved.status_code == 200, moved.text
    questionnaire = make_questionnaire()
    qid = questionnaire["id"]
    token = link_for(qid, directory.person(GULNARA))

    def results(**params: str) -> dict:
        got = staff.get(f"/api/v1/questionnaires/{qid}/results", params=params)
        assert got.status_code == 200, got.text
        return got.json()

    def services(result: dict) -> dict[str, tuple[int, dict]]:
        counts = _by_key(_by_key(result["questions"])["q-services"]["counts"])
        return {key: (c["count"], c["by_kind"]) for key, c in counts.items()}

    first = {**COMPLETE, "q-services": "no", "q-readiness": 2}
    assert web.post(f"/q/{token}", data=form_of(first, "submit", 0)).status_code == 303
    submitted = results()
    assert submitted["responses"] == 1
    assert services(submitted) == {"yes": (0, {}), "no": (1, {"government": 1})}
    assert _by_key(submitted["questions"])["q-readiness"]["stats"]["mean"] == 2

    # Reopened: a draft is not a result, so every count drops back to nothing.
    page = web.get(f"/q/{token}").text
    reopened = web.post(f"/q/{token}", data={"action": "reopen", "revision": str(revision_of(page))})
    assert reopened.status_code == 303
    emptied = results()
    assert emptied["responses"] == 0 and services(emptied) == {"yes": (0, {}), "no": (0, {})}
    assert _by_key(emptied["questions"])["q-readiness"]["stats"]["count"] == 0

    # Resubmitted with other answers: the counts move from the old values to the new ones.
    page = web.get(f"/q/{token}").text
    assert web.post(f"/q/{token}", data=form_of(COMPLETE, "submit", revision_of(page))).status_code == 303
    again = results()
    assert again["responses"] == 1
    assert services(again) == {"yes": (1, {"government": 1}), "no": (0, {})}
    readiness = _by_key(again["questions"])["q-readiness"]
    assert readiness["stats"]["mean"] == 4 and _by_key(readiness["counts"])["2"]["count"] == 0
    gaps = _by_key(_by_key(again["questions"])["q-gaps"]["counts"])
    assert (gaps["staff"]["count"], gaps["language"]["count"]) == (1, 1)
    priorities = _by_key(_by_key(again["questions"])["q-priorities"]["rows"])
    assert _by_key(priorities["housing"]["counts"])["3"]["count"] == 1

    # The country filter is read from the rollup too: Georgia has the answer, Azerbaijan none.
    georgia = results(country="ge")
    assert georgia["responses"] == 1 and services(georgia)["yes"] == (1, {"government": 1})
    azerbaijan = results(country="AZ")
    assert azerbaijan["responses"] == 0 and services(azerbaijan)["yes"] == (0, {})
    assert results(organisation_kind="ngo")["responses"] == 0


def test_the_rollup_equals_a_recount_of_the_responses(make_questionnaire, link_for, directory, web, db):
    from consult.questionnaires import tally

    questionnaire = make_questionnaire()
    qid = questionnaire["id"]
    token = link_for(qid, directory.person(GULNARA))
    assert (
        web.post(f"/q/{token}", data=form_of({**COMPLETE, "q-services": "no"}, "submit", 0)).status_code
        == 303
    )
    page = web.get(f"/q/{token}").text
    assert (
        web.post(f"/q/{token}", data={"action": "reopen", "revision": str(revision_of(page))}).status_code
        == 303
    )
    page = web.get(f"/q/{token}").text
    assert web.post(f"/q/{token}", data=form_of(COMPLETE, "submit", revision_of(page))).status_code == 303
    kept = _tally_rows(db, qid)
    assert kept  # the incremental counts exist ...

    async def recount() -> None:
        from consult.db import async_session_factory, create_api_engine
        from consult.settings import get_settings

        engine = create_api_engine(get_settings())
        try:
            async with async_session_factory(engine)() as session:
                await tally.rebuild(session, UUID(qid))
                await session.commit()
        finally:
            await engine.dispose()

    import asyncio

    asyncio.run(recount())
    assert _tally_rows(db, qid) == kept  # ... and are what a recount from the responses gives
