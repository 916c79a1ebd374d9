"""Localised emails from named templates.

An email is ``templates/email/<name>/{subject.txt, body.txt, body.html}``. Callers hand over a
context (see ``consult.invitations.mailing``); this module only turns it into text, in the reader's
language. The pages people open from their emails are the web layer's (consult.web.pages): they are
rendered through ``template_environment`` too, so they share the labels and macros here.

One Jinja environment per language, each with that language's catalog installed, so a rendering
never depends on state left behind by another language's rendering (workers render many languages
in one process).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from consult.mail.compose import one_line
from consult.mail.i18n import best_language, translations

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str  # one line, no CR/LF, trimmed
    text: str  # text/plain body
    html: str  # text/html body: a complete small HTML document, inline CSS only


def render_email(name: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
    """The email ``name`` in ``language`` (unknown languages get English)."""
    env = template_environment(best_language(language))
    subject = one_line(env.get_template(f"email/{name}/subject.txt").render(context))
    # The bodies see the final subject: the HTML <title> shows it, and so do some previews.
    body_context = {**context, "subject": subject}
    return RenderedEmail(
        subject=subject,
        text=_tidy_text(env.get_template(f"email/{name}/body.txt").render(body_context)),
        html=env.get_template(f"email/{name}/body.html").render(body_context),
    )


def _tidy_text(text: str) -> str:
    # Optional blocks leave runs of blank lines and trailing spaces behind; plain-text readers see them.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def is_web_url(value: object) -> bool:
    """Only http(s) addresses become links: a ``javascript:`` URL must never reach an href."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@cache
def template_environment(language: str, *first_dirs: Path) -> jinja2.Environment:
    """The Jinja environment of ``language`` (a supported one): templates are looked up in
    ``first_dirs``, then in the email templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*first_dirs, TEMPLATES_DIR]),
        # Escaping follows the file: HTML is escaped, plain text and subjects are left as written.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} is collapsed, so templates can wrap long sentences freely and
    # translators see one clean line (babel.cfg sets the same for extraction).
    env.policies["ext.i18n.trimmed"] = True
    # newstyle: _() escapes its %(name)s arguments in HTML and fails loudly on a bad placeholder.
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.tests["web_url"] = is_web_url
    return env
