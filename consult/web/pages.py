"""Stakeholder pages in the reader's language, from ``templates/pages/<name>.html`` beside this module.

The controllers that serve them (consult.rounds.pages, consult.invitations.controller,
consult.inbound.controller) build the context; the pages share the emails' labels, macros, message
catalogs and Jinja set-up (consult.mail.render).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from consult.mail.i18n import best_language
from consult.mail.render import template_environment

TEMPLATES_DIR = Path(__file__).parent / "templates"


def render_page(name: str, language: str, context: Mapping[str, Any]) -> str:
    """The HTML page ``name`` in ``language`` (unknown languages get English)."""
    env = template_environment(best_language(language), TEMPLATES_DIR)
    return env.get_template(f"pages/{name}.html").render(context)
