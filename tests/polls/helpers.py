from __future__ import annotations

import uuid

from sqlalchemy import select

from consult.polls.links import new_poll_link
from consult.polls.models import PollInvitee, SchedulingPoll
from consult.settings import get_settings


def link_for(db, poll_id: str, person_id: str) -> str:
    """A fresh personal link for the invitee, as the worker issues one with each email."""
    invitee = db.scalar(
        select(PollInvitee).where(
            PollInvitee.poll_id == uuid.UUID(poll_id), PollInvitee.person_id == uuid.UUID(person_id)
        )
    )
    poll = db.get(SchedulingPoll, uuid.UUID(poll_id))
    url = new_poll_link(db, invitee, poll, get_settings())
    db.commit()
    return url.rsplit("/poll/", 1)[1]


def answer(client, token: str, answers: dict[str, str], **kwargs):
    """Posts the page's form: one radio per slot id."""
    return client.post(f"/poll/{token}", data=answers, follow_redirects=False, **kwargs)
