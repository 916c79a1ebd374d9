"""A synchronous export is written off the event loop, and a round too big for one is sent to the
export jobs."""

from __future__ import annotations

import datetime as dt
import io

import docx
from sqlalchemy import insert, select
from uuid_utils.compat import uuid7

from consult.rounds.models import Comment
from consult.settings import get_settings
from tests.directory.test_upload_limits import HEALTHY_SECONDS, while_health_polled
from tests.exports.conftest import Scenario
from tests.helpers import problem


def add_comments(db, scenario: Scenario, count: int) -> None:
    """``count`` top-level comments on the round, written straight to the database."""
    round_id = scenario.round["id"]
    authors = db.scalars(select(Comment.author_id).where(Comment.round_id == round_id).distinct()).all()
    start = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    rows = []
    for index in range(count):
        comment_id = uuid7()
        rows.append(
            {
                "id": comment_id,
                "round_id": round_id,
                "author_id": authors[index % len(authors)],
                "thread_id": comment_id,
                "kind": "comment",
                "body": f"Comment {index}: the one-stop desk should also advise employers on work permits.",
                "attribution": "named",
                "created_at": start + dt.timedelta(seconds=index),
                "updated_at": start + dt.timedelta(seconds=index),
            }
        )
    db.execute(insert(Comment), rows)
    db.commit()


def test_the_api_answers_while_a_word_export_of_thousands_of_comments_is_built(
    server, db, facilitator, scenario: Scenario
):
    add_comments(db, scenario, 3_000)
    response, longest = while_health_polled(
        server,
        lambda: facilitator.get(f"/api/v1/rounds/{scenario.round['id']}/export", params={"format": "docx"}),
    )
    assert response.status_code == 200, response.text
    text = "\n".join(
        cell.text for table in docx.Document(io.BytesIO(response.content)).tables for cell in table._cells
    )
    assert "Comment 2999: the one-stop desk" in text
    assert longest < HEALTHY_SECONDS, longest


def test_a_round_over_the_synchronous_limit_is_sent_to_the_export_jobs(db, facilitator, scenario: Scenario):
    limit = get_settings().exports.sync_max_comments
    assert limit <= 5_000  # building a larger file in the API holds it all in memory for seconds
    add_comments(db, scenario, limit)
    round_id = scenario.round["id"]
    body = problem(facilitator.get(f"/api/v1/rounds/{round_id}/export", params={"format": "csv"}), 409)
    assert body["detail"] == (
        f"more than {limit} comments: queue the export with POST /api/v1/rounds/{round_id}/exports"
    )
