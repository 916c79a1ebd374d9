"""On PostgreSQL the comment listing runs its statement straight through asyncpg; everywhere else
through SQLAlchemy. Both must read the same rows, for every shape of the statement."""

from __future__ import annotations

import asyncio
import itertools
from uuid import UUID

from consult.db import create_api_engine, fetch_rows
from consult.rounds.listing import _tree_statements, _TreeShape
from consult.rounds.models import CommentKind, Decision
from consult.rounds.visibility import Audience, FilterShape
from consult.settings import get_settings
from tests.rounds.test_comments import ANNA, GULNARA, LUC, post_comment


def test_asyncpg_and_sqlalchemy_read_the_same_rows(make_round, link_for, directory, draft, facilitator):
    round_ = make_round(person_ids=[directory.person(e) for e in (ANNA, GULNARA, LUC)])
    anna, gulnara, luc = (link_for(round_["id"], directory.person(e)) for e in (ANNA, GULNARA, LUC))
    desk = draft.section("1.1.3")["key"]
    root = post_comment(anna, round_["id"], section_key=desk, body="Open on Saturdays.")
    reply = post_comment(
        gulnara, round_["id"], parent_id=root["id"], body="Agreed.", attribution="organisation"
    )
    post_comment(luc, round_["id"], parent_id=reply["id"], body="Who pays?", kind="question")
    post_comment(luc, round_["id"], body="On the whole draft.", attribution="anonymous")
    amendment = post_comment(
        gulnara,
        round_["id"],
        section_key=desk,
        kind="amendment",
        proposed_text="Within 30 days.",
        on_behalf_of_organisation=True,
    )
    withdrawn = post_comment(anna, round_["id"], section_key=desk, body="Never mind.")
    assert anna.post(f"/api/v1/comments/{withdrawn['id']}/withdraw").status_code == 200
    hidden = post_comment(luc, round_["id"], section_key=desk, body="Off topic.")
    assert (
        facilitator.post(f"/api/v1/comments/{hidden['id']}/hide", json={"reason": "Off topic"}).status_code
        == 200
    )
    answer = {"decision": "accepted", "rationale": "Taken up in version 2."}
    assert facilitator.put(f"/api/v1/comments/{amendment['id']}/response", json=answer).status_code == 200

    base = {
        "round_id": UUID(round_["id"]),
        "person_id": UUID(directory.person(ANNA)),
        "section_key": desk,
        "kind": CommentKind.AMENDMENT,
        "decision": Decision.ACCEPTED,
        "organisation_id": UUID(directory.organisations["State Migration Service"]["id"]),
        "organisation_kind": "government",
        "limit": 20,
        "offset": 0,
    }
    shapes = [
        _TreeShape(audience, FilterShape(*flags))
        for audience in (Audience.STAFF, Audience.STAKEHOLDER)
        for flags in itertools.product([False, True], repeat=5)
    ]

    async def compare() -> int:
        engine = create_api_engine(get_settings())
        compared = 0
        try:
            async with engine.connect() as connection:
                for shape in shapes:
                    params = dict(
                        base, person_id=None if shape.audience is Audience.STAFF else base["person_id"]
                    )
                    stmt = _tree_statements(shape)[0]
                    through_sqlalchemy = [tuple(r) for r in (await connection.execute(stmt, params)).all()]
                    through_asyncpg = [tuple(r) for r in await fetch_rows(connection, stmt, params)]
                    assert through_asyncpg == through_sqlalchemy, shape
                    compared += bool(through_sqlalchemy)
        finally:
            await engine.dispose()
        return compared

    # Enough shapes find rows for the comparison to mean something.
    assert asyncio.run(compare()) >= 8
