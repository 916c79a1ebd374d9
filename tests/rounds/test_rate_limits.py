"""Issue 11: rate limits per address on link pages and on failed token lookups, per link on
comments, per token on the API; 429 with Retry-After, then service again once the minute is over.

One server with low limits (its own queue name, so its counters in Redis are its own), every
limit reached within the same minute, then one wait for them all to lift."""

from __future__ import annotations

import httpx
import pytest

from consult.auth.models import Role
from consult.settings import get_settings
from tests.conftest import api_server
from tests.waiting import wait_until

ANNA = "a.gruber@expert.example.org"
IRINA = "i.petrova@ngo.example.org"
LIMITS = {"LINK_PAGES": 4, "FAILED_LOOKUPS": 3, "LINK_POSTS": 2, "API": 12}


@pytest.fixture
def limited_server(database, tmp_path):
    env = {f"CONSULT_RATE_LIMIT_{name}": str(limit) for name, limit in LIMITS.items()}
    with api_server(tmp_path, CONSULT_CELERY_QUEUE=f"{get_settings().broker.queue}-limits", **env) as url:
        yield url


def refused(response: httpx.Response) -> int:
    """Asserts a 429 problem and returns its Retry-After."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_limits_refuse_then_recover(limited_server, make_round, link_for, directory, tokens):
    round_ = make_round()
    anna_token, irina_token = (
        link_for(round_["id"], directory.person(email)).headers["Authorization"].removeprefix("Bearer ")
        for email in (ANNA, IRINA)
    )
    client = httpx.Client(base_url=limited_server, timeout=30)

    def as_(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    comments = f"/api/v1/rounds/{round_['id']}/comments"

    # Per link: comments through Anna's link run out; Irina's link still comments.
    for n in range(LIMITS["LINK_POSTS"]):
        assert client.post(comments, json={"body": f"c{n}"}, headers=as_(anna_token)).status_code == 201
    refused(client.post(comments, json={"body": "one too many"}, headers=as_(anna_token)))
    assert client.post(comments, json={"body": "mine"}, headers=as_(irina_token)).status_code == 201

    # Per token on the API: the organiser's token runs out, the facilitator's does not.
    organiser, facilitator = as_(tokens[Role.ORGANISER]), as_(tokens[Role.FACILITATOR])
    for _ in range(LIMITS["API"]):
        assert client.get("/api/v1/organisations", headers=organiser).status_code == 200
    refused(client.get("/api/v1/organisations", headers=organiser))
    assert client.get("/api/v1/organisations", headers=facilitator).status_code == 200

    # Per address on link pages; a browser gets a page in its language.
    for _ in range(LIMITS["LINK_PAGES"] - 1):
        assert client.get(f"/r/{anna_token}").status_code == 200
    assert client.get("/r/csr_unknown").status_code == 404  # also the first failed lookup
    refused(client.get(f"/r/{irina_token}"))
    page = client.get(
        f"/r/{irina_token}", headers={"Accept": "text/html", "Accept-Language": "ru-RU,ru;q=0.9"}
    )
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert "Слишком много запросов" in page.text and int(page.headers["Retry-After"]) >= 1

    # Unknown tokens count against the address; past the limit even a valid token is refused.
    for n in range(LIMITS["FAILED_LOOKUPS"] - 1):
        assert client.get("/api/v1/organisations", headers=as_(f"cst_guess{n}")).status_code == 401
    retry_after = refused(client.get("/api/v1/organisations", headers=facilitator))
    refused(client.get("/api/v1/organisations", headers=as_("cst_guess-again")))
    assert client.get("/health").status_code == 200  # no token, no limit

    # Requests refused are not counted: asking again does not push the end further away.
    wait_until(
        lambda: client.get("/api/v1/organisations", headers=organiser).status_code == 200,
        "the limits to lift",
        timeout=retry_after + 10,
        interval=2,
    )
    assert client.get(f"/r/{irina_token}").status_code == 200
    assert client.post(comments, json={"body": "later"}, headers=as_(anna_token)).status_code == 201
    client.close()
