"""A fixed poll, rendered through consult.polls.mailing's own context builder, for the email
snapshots (tests/mail/test_snapshots.py): a Vienna round table in April read by someone in Baku, so
every slot shows both clocks (10:00 Vienna is 12:00 Baku)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from consult.events.models import EventFormat, EventKind
from consult.mail.i18n import format_in
from consult.polls.mailing import poll_context
from consult.polls.models import PollSlot, PollStatus, SchedulingPoll

_SLOTS = [
    PollSlot(
        id=uuid.UUID(int=n + 1),
        starts_at=dt.datetime(2027, 4, 12 + n, 8, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 4, 12 + n, 10, tzinfo=dt.UTC),
    )
    for n in range(3)
]


def _poll(decided: bool) -> SchedulingPoll:
    return SchedulingPoll(
        title="Round table on social services for migrants",
        description="Second round table of the consultation, online.",
        kind=EventKind.ROUND_TABLE,
        format=EventFormat.ONLINE,
        timezone="Europe/Vienna",
        duration_minutes=120,
        closes_at=dt.datetime(2027, 3, 31, 16, tzinfo=dt.UTC),
        status=PollStatus.DECIDED if decided else PollStatus.OPEN,
        decided_slot_id=_SLOTS[1].id if decided else None,
        slots=_SLOTS,
    )


def poll_sample(language: str, *, decided: bool = False) -> dict[str, Any]:
    return {
        **poll_context(_poll(decided), "Asia/Baku", language),
        "closes_in": format_in(dt.timedelta(days=2), language),  # fixed: the real one counts from now
        "person_name": "Gülnarə Şükürova",
        "link": None if decided else "https://consult.example.org/poll/cpl_sample",
        "personal_url": "https://consult.example.org/p/cpp_sample",
    }
