"""Reading the comment tree costs the same few queries for 3 comments or 60, however deep the
threads. The service runs in-process on the test database, so every statement the driver runs can be
counted."""

from __future__ import annotations

import asyncio
import uuid
from uuid import UUID

from sqlalchemy import event

from consult.auth.models import Role
from consult.auth.principals import StaffPrincipal, StakeholderPrincipal
from consult.db import async_session_factory, create_api_engine
from consult.pagination import PageParams
from consult.rounds.listing import ListingService
from consult.rounds.models import CommentAttachment
from consult.rounds.visibility import CommentFilters
from consult.settings import get_settings


def _all(tree) -> list:
    """Every comment of the tree, replies included."""
    found, todo = [], [c for s in tree.sections for c in s.threads]
    while todo:
        comment = todo.pop()
        found.append(comment)
        todo.extend(comment.replies)
    return found


def statements_for_tree(round_id: str, principal) -> tuple[int, dict]:
    async def run() -> tuple[int, dict]:
        engine = create_api_engine(get_settings())
        executed: list[str] = []

        # Counted by the driver, so that statements run on asyncpg directly count too.
        def log_queries(dbapi_connection, _record) -> None:
            dbapi_connection.driver_connection.add_query_logger(lambda query: executed.append(query.query))

        event.listen(engine.sync_engine, "connect", log_queries)
        try:
            async with async_session_factory(engine)() as session:
                service = ListingService(session, get_settings(), principal)
                tree = await service.tree(UUID(round_id), CommentFilters(), PageParams(limit=50, offset=0))
        finally:
            await engine.dispose()
        return len(executed), {
            "threads": sum(len(s.threads) for s in tree.sections),
            "files": sum(len(c.attachments) for c in _all(tree)),
        }

    return asyncio.run(run())


def test_the_tree_is_read_with_a_fixed_number_of_statements(make_round, link_for, directory, draft, db):
    small = make_round(title="Small")
    large = make_round(title="Large")
    people = list(directory.people.values())
    sections = [s["key"] for s in draft.sections]
    small_link = link_for(small["id"], people[0]["id"])
    for body in ("One", "Two"):
        small_link.post(f"/api/v1/rounds/{small['id']}/comments", json={"body": body})
    clients = [link_for(large["id"], p["id"]) for p in people]
    for thread in range(12):
        parent = None
        for depth in range(5):  # 12 threads, each five comments deep, over many sections and authors
            client = clients[(thread + depth) % len(clients)]
            body = {
                "body": f"Thread {thread}, depth {depth}",
                "section_key": sections[thread % len(sections)],
            }
            if parent:
                body = {"body": body["body"], "parent_id": parent}
            response = client.post(f"/api/v1/rounds/{large['id']}/comments", json=body)
            assert response.status_code == 201, response.text
            parent = response.json()["id"]
            # Files with some comments (as intake stores them): read in the same statement.
            if depth % 2:
                db.add(
                    CommentAttachment(
                        comment_id=UUID(parent),
                        filename="notes.pdf",
                        content_type="application/pdf",
                        size=3,
                        data=b"pdf",
                    )
                )
    db.commit()

    staff = StaffPrincipal(user_id=uuid.uuid4(), email="facilitator@example.org", role=Role.FACILITATOR)
    small_count, small_tree = statements_for_tree(small["id"], staff)
    large_count, large_tree = statements_for_tree(large["id"], staff)
    assert (small_tree["threads"], large_tree["threads"]) == (2, 12)
    assert large_tree["files"] == 24
    assert large_count == small_count == 1  # one statement reads the page of threads, files included

    reader = StakeholderPrincipal(person_id=UUID(people[0]["id"]), round_id=UUID(large["id"]))
    assert statements_for_tree(large["id"], reader)[0] == small_count
