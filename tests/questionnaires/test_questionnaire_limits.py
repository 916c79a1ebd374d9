"""The open questionnaire's public page is limited per client address like every link page."""

from __future__ import annotations

import httpx
import pytest

from consult.settings import get_settings
from tests.conftest import api_server
from tests.questionnaires.conftest import COMPLETE, form_of

PAGES = 4


@pytest.fixture
def limited_server(database, tmp_path):
    queue = f"{get_settings().broker.queue}-q-limits"
    with api_server(tmp_path, CONSULT_CELERY_QUEUE=queue, CONSULT_RATE_LIMIT_LINK_PAGES=str(PAGES)) as url:
        yield url


def test_the_public_page_is_rate_limited_per_address(limited_server, make_questionnaire, db):
    questionnaire = make_questionnaire(mode="open")
    url = questionnaire["public_url"]
    path = url[url.index("/q/open/") :]
    with httpx.Client(base_url=limited_server, timeout=30) as client:
        answered = [client.post(path, data=form_of(COMPLETE, "submit", 0)) for _ in range(PAGES)]
        assert [r.status_code for r in answered] == [303] * PAGES
        over = client.post(path, data=form_of(COMPLETE, "submit", 0), headers={"Accept": "text/html"})
        assert over.status_code == 429 and 'lang="' in over.text and over.headers["Retry-After"]
    from sqlalchemy import func, select

    from consult.questionnaires.models import QuestionnaireResponse

    db.expire_all()
    assert db.scalar(select(func.count()).select_from(QuestionnaireResponse)) == PAGES
