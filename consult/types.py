"""Field types the API's request bodies share, so one limit is written once and every schema that
names a title, a time zone, an aware time or a list of ids checks it the same way."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from msgspec import Meta

# One line of text: the title of a consultation, event, draft or round, the name of an organisation,
# person or group.
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Name = Title
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Asia/Baku")]
AwareTime = Annotated[dt.datetime, Meta(tz=True, description="ISO 8601 with an offset")]
IdList = Annotated[list[UUID], Meta(max_length=20_000)]
# Why staff did something (cancelled an event, hid a comment), shown to those it concerns.
Reason = Annotated[str, Meta(min_length=1, max_length=2_000)]
