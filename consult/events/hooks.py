"""What other packages do when an event changes: the events layer announces, its listeners act.

Invitations listen (they email the invitees); consult.app connects them when it assembles the app,
so events never imports the packages above it (indico does the same with signals such as
``signals.event.times_changed``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consult.events.models import Event
from consult.events.schemas import AgendaItemIn
from consult.events.service import EventChange
from consult.settings import Settings

Subject = TypeVar("Subject")
Listener = Callable[[AsyncSession, Settings, Subject], Awaitable[None]]


class Hook(Generic[Subject]):
    """Listeners called in the order they were connected, in the session of the change: what they
    write commits or rolls back with it."""

    def __init__(self) -> None:
        self._listeners: list[Listener[Subject]] = []

    def connect(self, listener: Listener[Subject]) -> None:
        self._listeners.append(listener)

    async def send(self, session: AsyncSession, settings: Settings, subject: Subject) -> None:
        for listener in self._listeners:
            await listener(session, settings, subject)


@dataclass(frozen=True)
class AgendaSections:
    """The agenda of an event of the consultation, as the request sends it."""

    consultation_id: UUID
    agenda: list[AgendaItemIn]


@dataclass(frozen=True)
class EventHooks:
    """The app's hooks (in its state as ``event_hooks``)."""

    # An agenda about to be stored that names draft sections: a listener refuses what the layers
    # above know to be wrong (sections the draft lacks) by raising a problem, before anything is kept.
    agenda_sections: Hook[AgendaSections] = field(default_factory=Hook)
    changed: Hook[EventChange] = field(default_factory=Hook)
    cancelled: Hook[Event] = field(default_factory=Hook)
