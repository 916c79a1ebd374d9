# ruff: noqa: F811
"""The Word upload joins the link routes' rate limits: uploads per link (page and API alike) run
out like comments do, and the page's route counts as a link page."""

from __future__ import annotations

import httpx

from tests.rounds.conftest import directory, facilitator, from_now, link_for  # noqa: F401
from tests.rounds.test_rate_limits import LIMITS, limited_server, refused  # noqa: F401
from tests.word.test_import_api import DOCX, fixture, word_round  # noqa: F401

RAUF = "r.mammadov@migration.example.org"


def test_word_uploads_through_a_link_are_limited_per_link(limited_server, word_round, link_for, directory):
    round_ = word_round()
    token = link_for(round_["id"], directory.person(RAUF)).headers["Authorization"].removeprefix("Bearer ")
    client = httpx.Client(base_url=limited_server, timeout=30, follow_redirects=False)
    file = {"file": ("returned.docx", fixture("strategy_word"), DOCX)}

    assert LIMITS["LINK_POSTS"] == 2
    first = client.post(f"/r/{token}/word-feedback", files=file)
    assert first.status_code == 303, first.text
    api = client.post(
        f"/api/v1/rounds/{round_['id']}/word-feedback",
        files=file,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.text
    refused(client.post(f"/r/{token}/word-feedback", files=file))
