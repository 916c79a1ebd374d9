"""Field types the API's request bodies share, so one limit is written once and every schema that
names a title, a time zone, an aware time or a list of ids checks it the same way.

Every text a request may carry has a maximum (tests/test_text_limits.py checks the OpenAPI document
for a ``maxLength`` on each string of each request body): a body of megabytes would otherwise be
stored, and then sent to everyone who reads the round.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from msgspec import Meta

# A draft section's key ("art-3-2"); here so the events layer, below the drafts, names one too.
SECTION_KEY_LENGTH = 16

# One line of text: the title of a consultation, event, draft or round, the name of an organisation,
# person or group.
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Name = Title
# A line that may be left empty: a position, a speaker.
ShortText = Annotated[str, Meta(max_length=300)]
# A venue's address, a website.
Address = Annotated[str, Meta(max_length=500)]
# What a comment or an answer to it says (an emailed comment is cut to this length as well). It must
# say something: a text of spaces and line breaks alone would be published as an empty card.
COMMENT_MAX_LENGTH = 20_000
NOT_BLANK = r"\S"
CommentText = Annotated[str, Meta(min_length=1, max_length=COMMENT_MAX_LENGTH, pattern=NOT_BLANK)]
# A longer text that may be empty: a description, a quote from a draft, proposed wording.
LongText = Annotated[str, Meta(max_length=COMMENT_MAX_LENGTH)]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Asia/Baku")]
AwareTime = Annotated[dt.datetime, Meta(tz=True, description="ISO 8601 with an offset")]
IdList = Annotated[list[UUID], Meta(max_length=20_000)]
# Why staff did something (cancelled an event, hid a comment), shown to those it concerns.
Reason = Annotated[str, Meta(min_length=1, max_length=2_000)]
