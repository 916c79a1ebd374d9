# ruff: noqa: RUF001
"""Fixtures of real-shaped incoming mail (tests/inbound/fixtures), filled in for a test."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

# What lands as the comment's text for each reply fixture: quotes, attribution lines and
# signatures gone, the sender's own words kept exactly.
REPLY_TEXTS = {
    "gmail_en.eml": (
        "a.gruber@expert.example.org",
        "The one-stop desk should also open on Saturdays: many migrant workers\ncannot come on weekdays.",
    ),
    "outlook_html.eml": (
        "a.gruber@expert.example.org",
        "We support Objective 1.1.\nPlease see our detailed position in the attached note & annex.",
    ),
    "thunderbird_fr.eml": (
        "l.dubois@eeas.example.org",
        "Nous proposons d'ajouter les cours de langue à l'objectif 1.1.\n\nCordialement,\nLuc",
    ),
    "apple_ru.eml": (
        "i.petrova@ngo.example.org",
        "Предлагаем указать, что консультации для мигрантов бесплатны.\n\nС уважением,\nИрина",
    ),
    "gmail_ru.eml": ("i.petrova@ngo.example.org", "Согласны с разделом о жилье."),
    "gmail_az.eml": (
        "g.shukurova@migration.example.org",
        "Dövlət Miqrasiya Xidməti 1.1.3 tədbirini dəstəkləyir.",
    ),
    "outlook_fr_plain.eml": ("l.dubois@eeas.example.org", "La délégation soutient le guichet unique."),
    "outlook_ru_plain.eml": ("i.petrova@ngo.example.org", "Просим добавить раздел о медицинской помощи."),
}


def build(name: str, **values: str) -> bytes:
    """The fixture with its {{PLACEHOLDERS}} filled; ``ics=<fixture.ics>`` inserts a calendar (as is
    and base64), and every message gets a fresh Message-ID."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    values.setdefault("NONCE", uuid.uuid4().hex[:12])
    values.setdefault("IN_REPLY_TO", "<none@example.org>")
    ics_name = values.pop("ics", None)
    if ics_name:
        ics = (FIXTURES / ics_name).read_text(encoding="utf-8")
        for key, value in values.items():
            ics = ics.replace("{{" + key + "}}", value)
        ics = ics.replace("\r\n", "\n").replace("\n", "\r\n")
        values["ICS"] = ics
        values["ICS_BASE64"] = base64.encodebytes(ics.encode()).decode().strip()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text, text
    return text.encode("utf-8")
