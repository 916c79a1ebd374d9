"""Event times: accepted as ISO 8601 with an offset, or as wall-clock time in the event's zone;
stored in UTC; shown in UTC and in the event's (or a person's) zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from consult.errors import Invalid


def to_utc(value: dt.datetime, zone_name: str, field: str) -> dt.datetime:
    """An aware time is converted; a naive one is read as wall-clock time in ``zone_name``.

    A wall-clock time skipped by a DST change does not exist and is refused; one that occurs twice
    (clocks going back) is taken at its first occurrence.
    """
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    zone = ZoneInfo(zone_name)
    aware = value.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != value:
        raise Invalid.field(
            field, f"{value.isoformat()} does not exist in {zone_name}: the clocks skip it (daylight saving)"
        )
    return utc


def in_zone(value: dt.datetime, zone_name: str) -> dt.datetime:
    return value.astimezone(ZoneInfo(zone_name))


def parse_bound(raw: str | None, field: str) -> dt.datetime | None:
    """A date-range filter bound: a date (midnight UTC) or a date-time (naive means UTC)."""
    if raw is None or raw == "":
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid.field(field, "expected an ISO 8601 date or date-time, e.g. 2027-03-01") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
