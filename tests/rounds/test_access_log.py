"""Issue 11, finding 7: personal links reached the access log whole (502 valid tokens in one log)."""

from __future__ import annotations

import secrets
from uuid import UUID

import httpx

from consult.mail.replies import unsubscribe_token as unsubscribe_token_of
from consult.settings import get_settings
from tests.conftest import api_server
from tests.waiting import wait_until

IRINA = "i.petrova@ngo.example.org"


def test_access_log_masks_link_tokens(make_round, link_for, directory, tmp_path):
    round_ = make_round()
    token = link_for(round_["id"], directory.person(IRINA)).headers["Authorization"].removeprefix("Bearer ")
    rsvp_token = "rsvp_" + secrets.token_urlsafe(32)
    unsubscribe_token = unsubscribe_token_of(get_settings(), UUID(directory.person(IRINA)))
    with api_server(tmp_path, log_level="info") as base_url:
        assert httpx.get(f"{base_url}/r/{token}").status_code == 200
        assert httpx.get(f"{base_url}/r/{token}/sections/s-none?page=2").status_code == 404
        assert httpx.get(f"{base_url}/rsvp/{rsvp_token}?answer=accepted").status_code == 404
        assert httpx.get(f"{base_url}/unsubscribe/{unsubscribe_token}").status_code == 200
        log_path = tmp_path / f"server-{base_url.rsplit(':', 1)[1]}.log"

        def logged() -> str:
            return log_path.read_text()

        wait_until(lambda: "/unsubscribe/" in logged(), "the access log to show the three requests")
    log = logged()
    assert '"GET /r/csr_*** HTTP/1.1" 200' in log
    assert '"GET /r/csr_***/sections/s-none?page=2 HTTP/1.1" 404' in log
    assert '"GET /rsvp/rsvp_***?answer=accepted HTTP/1.1" 404' in log
    assert '"GET /unsubscribe/*** HTTP/1.1" 200' in log
    for secret in (token, token.removeprefix("csr_"), rsvp_token.removeprefix("rsvp_"), unsubscribe_token):
        assert secret not in log
