# ruff: noqa: RUF001, F811
"""A Word file attached to a reply to a round email goes through the same import: the real worker
processes the message, the sender's Word comments land in their sections as theirs, the email's own
text stays the email's comment with the file attached, and a file the import refuses is kept as an
attachment without half an import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.inbound.parsing import read_message
from consult.rounds.models import Comment, CommentAttachment, CommentSource
from tests.inbound.test_intake import gateway, reply_to, submit  # noqa: F401
from tests.rounds.conftest import directory, draft, facilitator, make_round  # noqa: F401
from tests.rounds.test_round_emails import wait_for_mail
from tests.word.import_docs import FIXTURES

RAUF = "r.mammadov@migration.example.org"
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


@pytest.fixture
def word_round_email(api, make_round, directory, smtp):
    """A round on the fixtures' draft, Rauf invited, and the round email he received."""
    document = api.post(
        "/api/v1/documents",
        json={"consultation_id": _consultation(api), "title": "Integration strategy", "language": "en"},
    ).json()
    uploaded = api.post(
        f"/api/v1/documents/{document['id']}/versions",
        files={"file": ("draft.docx", (FIXTURES / "strategy_draft.docx").read_bytes(), "/".join(DOCX))},
    )
    assert uploaded.status_code == 201, uploaded.text
    round_ = make_round(document_version_id=uploaded.json()["id"], person_ids=[directory.person(RAUF)])
    [received] = wait_for_mail(smtp, RAUF)
    return round_, received


def _consultation(api) -> str:
    return api.post("/api/v1/consultations", json={"title": "Word by email"}).json()["id"]


def with_file(raw: bytes, content: bytes, filename: str = "strategy – comments.docx") -> bytes:
    reply = read_message(raw)
    reply.add_attachment(content, maintype=DOCX[0], subtype=DOCX[1], filename=filename)
    return reply.as_bytes()


def test_a_word_file_attached_to_a_reply_becomes_the_senders_comments(word_round_email, worker, gateway, db):
    round_, received = word_round_email
    content = (FIXTURES / "strategy_word.docx").read_bytes()
    raw = with_file(reply_to(received, RAUF, "Our comments are in the attached file."), content)

    row = submit(gateway, raw, db)

    assert row.outcome is not None and row.outcome.value == "comment", row.reason
    assert "created 7 comments, 1 replies and 3 amendments" in row.reason
    made = db.scalars(select(Comment).where(Comment.round_id == round_["id"])).all()
    email = [c for c in made if c.source is CommentSource.EMAIL]
    word = [c for c in made if c.source is CommentSource.WORD]
    assert [c.body for c in email] == ["Our comments are in the attached file."]
    assert len(word) == 11 and {str(c.author_id) for c in made} == {str(email[0].author_id)}
    # The file stays with the email's comment, as every attachment does.
    [kept] = db.scalars(select(CommentAttachment).where(CommentAttachment.comment_id == email[0].id)).all()
    assert kept.filename == "strategy – comments.docx" and kept.data == content

    # The same file by email again (another message): nothing new from it.
    again = with_file(reply_to(received, RAUF, "Sent again, sorry."), content)
    row = submit(gateway, again, db)
    assert "imported before" in row.reason
    db.expire_all()
    assert len(db.scalars(select(Comment).where(Comment.source == CommentSource.WORD)).all()) == 11


def test_a_file_alone_is_enough_and_a_refused_file_is_kept_without_half_an_import(
    word_round_email, worker, gateway, db
):
    _, received = word_round_email
    raw = with_file(
        reply_to(received, RAUF, ""), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "old.docx"
    )

    row = submit(gateway, raw, db)

    assert row.outcome is not None and row.outcome.value == "comment", row.reason
    assert "Word file 'old.docx' not imported" in row.reason and "password-protected" in row.reason
    [comment] = db.scalars(select(Comment)).all()
    assert comment.body == "old.docx" and comment.source is CommentSource.EMAIL
    assert db.scalars(select(CommentAttachment)).one().filename == "old.docx"
