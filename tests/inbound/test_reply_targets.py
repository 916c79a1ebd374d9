"""What a reply answers when the email it answers is about comments (consult.rounds.reply_targets,
asked by consult.mail.replies through the kinds' handlers): the thread of the one comment it names."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from consult.auth.models import Role
from consult.auth.tokens import token_digest
from consult.mail.models import ReplyToken
from consult.mail.replies import reply_token_in
from consult.rounds.models import Comment
from tests.inbound.test_intake import ANNA, IRINA, reply_to, submit
from tests.rounds.test_round_emails import stakeholder, subject_of, wait_for_mail


def _target(db, received) -> ReplyToken:
    token = reply_token_in(str(received.message["Reply-To"]))
    stored = db.scalar(select(ReplyToken).where(ReplyToken.token_hash == token_digest(token or "")))
    assert stored is not None
    return stored


def test_replies_to_a_digest_and_a_response_go_into_the_thread(
    make_round, directory, smtp, worker, facilitator, server, client_for, tokens, db
):
    round_ = make_round(person_ids=[directory.person(ANNA), directory.person(IRINA)])
    to_anna, to_irina = wait_for_mail(smtp, ANNA)[0], wait_for_mail(smtp, IRINA)[0]
    url = f"/api/v1/rounds/{round_['id']}/comments"
    with stakeholder(server, to_anna) as anna, stakeholder(server, to_irina) as irina:
        comment = anna.post(url, json={"body": "The desk should open on Saturdays."}).json()
        reply = irina.post(url, json={"body": "Many work on weekdays.", "parent_id": comment["id"]}).json()
    _, digest = wait_for_mail(smtp, ANNA, 2)
    assert subject_of(digest) == "New replies to your comments"
    target = _target(db, digest)
    assert (target.round_id, target.comment_id) == (UUID(round_["id"]), UUID(reply["id"]))

    answered = facilitator.put(
        f"/api/v1/comments/{comment['id']}/response",
        json={"decision": "accepted", "rationale": "Saturday mornings from March."},
    )
    assert answered.status_code == 200, answered.text
    *_, response_mail = wait_for_mail(smtp, ANNA, 3)
    assert subject_of(response_mail) == "Your comment has been answered"
    target = _target(db, response_mail)
    assert (target.round_id, target.comment_id) == (UUID(round_["id"]), UUID(comment["id"]))

    gateway = client_for(None, token=tokens[Role.INTAKE])
    row = submit(gateway, reply_to(response_mail, ANNA, "Thank you, mornings are enough."), db)
    assert row.outcome is not None and row.outcome.value == "comment", row.reason
    written = db.get(Comment, row.comment_id)
    assert written.body == "Thank you, mornings are enough."
    assert (written.round_id, written.parent_id) == (UUID(round_["id"]), UUID(comment["id"]))
