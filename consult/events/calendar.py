"""iCalendar (RFC 5545) objects for events, as pure functions of plain values.

Times are written in UTC: every client (Outlook, Gmail, Apple Calendar, Thunderbird's ical.js)
reads them the same way, which VTIMEZONE blocks with RDATE lists do not guarantee.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

PRODID = "-//consult//consultation events//EN"


class Method(enum.StrEnum):
    PUBLISH = "PUBLISH"
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Party:
    email: str
    name: str


@dataclass(frozen=True)
class AgendaLine:
    starts_at: dt.datetime
    title: str
    speaker: str | None


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str | None
    online_url: str | None
    cancelled: bool
    agenda: Sequence[AgendaLine] = ()
    timezone: str = "UTC"  # the event's own zone (IANA name), in which its agenda is read


def _utc_clock(value: dt.datetime) -> str:
    return f"{value.astimezone(dt.UTC):%H:%M}"


@dataclass(frozen=True)
class Wording:
    """How DESCRIPTION speaks to its reader. The default is English with times in UTC (a plain
    download); mail to a person passes labels in their language and the event's local clock
    (consult.invitations.mailing.reader_description)."""

    join_online: str = "Join online:"
    agenda_heading: str = "Agenda (UTC):"
    clock: Callable[[dt.datetime], str] = _utc_clock


@dataclass(frozen=True)
class Attendee(Party):
    role: str  # RFC 5545 ROLE: CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT
    # The answer we hold (RFC 5545 PARTSTAT), so the calendar says what the RSVP page says.
    partstat: str = "NEEDS-ACTION"


def _address(party: Party) -> vCalAddress:
    address = vCalAddress(f"mailto:{party.email}")
    # A double quote cannot appear inside a quoted parameter value (RFC 5545 3.2).
    address.params["CN"] = vText(party.name.replace('"', "'"))
    return address


def describe(event: CalendarEvent, extra_lines: Sequence[str] = (), wording: Wording = Wording()) -> str:
    """DESCRIPTION text: clients often ignore URL, so the meeting link and the agenda go here too."""
    parts = [event.description.strip()] if event.description.strip() else []
    if event.online_url:
        parts.append(f"{wording.join_online} {event.online_url}")
    if event.agenda:
        lines = [wording.agenda_heading]
        for item in event.agenda:
            speaker = f" ({item.speaker})" if item.speaker else ""
            lines.append(f"{wording.clock(item.starts_at)} {item.title}{speaker}")
        parts.append("\n".join(lines))
    parts.extend(extra_lines)
    return "\n\n".join(parts)


def _location(event: CalendarEvent) -> str | None:
    if event.location and event.online_url:
        return f"{event.location} / {event.online_url}"
    return event.location or event.online_url


def build_calendar(
    event: CalendarEvent,
    method: Method,
    *,
    organizer: Party,
    attendee: Attendee | None = None,
    description: str | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """One VCALENDAR with one VEVENT. REQUEST and CANCEL name the one recipient as ATTENDEE
    (one file per recipient never reveals the list); PUBLISH (a plain download) names nobody."""
    if method is not Method.PUBLISH and attendee is None:
        raise ValueError(f"METHOD:{method} needs the recipient as ATTENDEE")
    calendar = _calendar(method)
    calendar.add_component(_vevent(event, method, organizer, attendee, description, stamp))
    return bytes(calendar.to_ical())


def build_feed(events: Sequence[CalendarEvent], *, name: str, organizer: Party) -> bytes:
    """A subscribable calendar (METHOD:PUBLISH): each event once, under its stable UID, cancelled ones
    as STATUS:CANCELLED, so a calendar that polls the feed updates its entries in place."""
    calendar = _calendar(Method.PUBLISH)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event, Method.PUBLISH, organizer, None, None, None))
    return bytes(calendar.to_ical())


def _calendar(method: Method) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    return calendar


def _vevent(
    event: CalendarEvent,
    method: Method,
    organizer: Party,
    attendee: Attendee | None,
    description: str | None,
    stamp: dt.datetime | None,
) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))
    vevent.add("dtstart", event.starts_at.astimezone(dt.UTC))
    vevent.add("dtend", event.ends_at.astimezone(dt.UTC))
    vevent.add("summary", event.title)
    vevent.add("description", description if description is not None else describe(event))
    location = _location(event)
    if location:
        vevent.add("location", location)
    if event.online_url:
        vevent.add("url", event.online_url)
    cancelled = event.cancelled or method is Method.CANCEL
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    if method is not Method.PUBLISH:
        vevent.add("organizer", _address(organizer), encode=False)
    if attendee is not None:
        address = _address(attendee)
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = attendee.role
        address.params["PARTSTAT"] = attendee.partstat
        address.params["RSVP"] = "TRUE"
        vevent.add("attendee", address, encode=False)
    return vevent
