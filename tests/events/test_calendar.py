"""The calendar builder, read back by icalendar and by Mozilla's ical.js (Thunderbird's parser)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from consult.events.calendar import AgendaLine, Attendee, CalendarEvent, Method, Party, build_calendar

ICALJS = Path(__file__).parent.parent / "icaljs"
ORGANIZER = Party("consult@example.org", "Consult, Migration Service")


def brussels_round_table(**overrides) -> CalendarEvent:
    start = dt.datetime(2027, 3, 28, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))  # first day of summer time
    values = {
        "uid": "0199f1e2-rt1@consult",
        "sequence": 2,
        "title": "Round table: key concepts of integration; language, work, housing",
        "description": "Participants in Baku, Vienna and Brussels.\nBring your questions.",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "location": None,
        "online_url": "https://meet.example.org/rt1?pwd=a,b;c",
        "cancelled": False,
        "agenda": [
            AgendaLine(start, "Welcome", "ICMPD"),
            AgendaLine(start + dt.timedelta(minutes=30), "Work", None),
        ],
    }
    values.update(overrides)
    return CalendarEvent(**values)


def read_with_icaljs(ics: bytes) -> dict:
    if shutil.which("node") is None or not (ICALJS / "node_modules" / "ical.js").exists():
        pytest.fail("ical.js is not installed: run `npm ci --prefix tests/icaljs` (.ci/run does)")
    result = subprocess.run(["node", str(ICALJS / "read.mjs")], input=ics, capture_output=True, check=True)
    return json.loads(result.stdout)


def test_request_reads_the_same_in_icalendar_and_icaljs():
    attendee = Attendee("l.dubois@eeas.example.org", 'Luc "Lucky" Dubois', "REQ-PARTICIPANT")
    ics = build_calendar(brussels_round_table(), Method.REQUEST, organizer=ORGANIZER, attendee=attendee)

    parsed = icalendar.Calendar.from_ical(ics)
    event = next(iter(parsed.walk("VEVENT")))
    assert event["DTSTART"].dt == dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC)
    assert str(event["DESCRIPTION"]).startswith("Participants in Baku, Vienna and Brussels.\nBring")
    assert "https://meet.example.org/rt1?pwd=a,b;c" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == "https://meet.example.org/rt1?pwd=a,b;c"
    assert str(event["LOCATION"]) == "https://meet.example.org/rt1?pwd=a,b;c"
    assert event["ATTENDEE"].params["CN"] == "Luc 'Lucky' Dubois"

    seen = read_with_icaljs(ics)
    assert seen["method"] == "REQUEST"
    (js_event,) = seen["events"]
    assert js_event["start"] == "2027-03-28T08:00:00.000Z"
    assert js_event["end"] == "2027-03-28T10:00:00.000Z"
    assert js_event["uid"] == "0199f1e2-rt1@consult"
    assert js_event["sequence"] == 2
    assert js_event["summary"] == "Round table: key concepts of integration; language, work, housing"
    assert js_event["attendees"] == ["mailto:l.dubois@eeas.example.org"]
    assert js_event["organizer"] == "mailto:consult@example.org"


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        ("Asia/Baku", dt.datetime(2027, 3, 10, 10, 0), "2027-03-10T06:00:00.000Z"),
        ("Europe/Vienna", dt.datetime(2027, 10, 31, 2, 30), "2027-10-31T00:30:00.000Z"),
        ("Europe/Brussels", dt.datetime(2027, 3, 28, 10, 0), "2027-03-28T08:00:00.000Z"),
        ("Europe/Brussels", dt.datetime(2027, 1, 15, 10, 0), "2027-01-15T09:00:00.000Z"),
    ],
)
def test_times_across_zones_and_dst_read_the_same_in_icaljs(zone, local, utc):
    start = local.replace(tzinfo=ZoneInfo(zone))
    ics = build_calendar(
        brussels_round_table(starts_at=start, ends_at=start + dt.timedelta(hours=1)),
        Method.PUBLISH,
        organizer=ORGANIZER,
    )
    assert read_with_icaljs(ics)["events"][0]["start"] == utc


def test_cancel_and_publish():
    attendee = Attendee("a.gruber@icmpd.example.org", "Anna Gruber", "OPT-PARTICIPANT")
    cancel = icalendar.Calendar.from_ical(
        build_calendar(
            brussels_round_table(cancelled=True), Method.CANCEL, organizer=ORGANIZER, attendee=attendee
        )
    )
    event = next(iter(cancel.walk("VEVENT")))
    assert cancel["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["ATTENDEE"].params["ROLE"] == "OPT-PARTICIPANT"

    published = build_calendar(brussels_round_table(), Method.PUBLISH, organizer=ORGANIZER)
    assert b"ATTENDEE" not in published and b"ORGANIZER" not in published
    assert read_with_icaljs(published)["method"] == "PUBLISH"
    with pytest.raises(ValueError, match="ATTENDEE"):
        build_calendar(brussels_round_table(), Method.REQUEST, organizer=ORGANIZER)


def test_lines_are_crlf_and_folded_at_75_octets():
    long_title = "Стратегия интеграции мигрантов — круглый стол " * 4
    ics = build_calendar(brussels_round_table(title=long_title), Method.PUBLISH, organizer=ORGANIZER)
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in ics.replace(b"\r\n", b"")
    assert read_with_icaljs(ics)["events"][0]["summary"] == long_title
