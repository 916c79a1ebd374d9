"""Checks shared by the API and the importers; each raises Invalid naming the field."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale

from consult.errors import Invalid


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# CLDR also names groupings and placeholders with two letters; they are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ"})


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(
        code for code in codes if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


def check_timezone(name: str, field: str = "timezone") -> str:
    if name not in _time_zones():
        raise Invalid.field(field, f"unknown IANA time zone {name!r} (e.g. Asia/Baku, Europe/Vienna)")
    return name


def check_country(code: str | None, field: str = "country") -> str | None:
    if code is None or code == "":
        return None
    upper = code.strip().upper()
    if upper not in _countries():
        raise Invalid.field(field, f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. AZ, AT, BE)")
    return upper


def check_web_url(url: str | None, field: str) -> str | None:
    if url is None or url == "":
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid.field(field, "must be an absolute http(s) URL")
    return url.strip()
