"""What the mail server settings (CONSULT_SMTP_URL, CONSULT_IMAP_URL) share: true/false flags in the
query, and the one rule for which hosts are this machine (where TLS may be left out)."""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class MailUrlError(ValueError):
    """A mail server URL that is malformed or would be unsafe to use."""


def flag(query: dict[str, list[str]], name: str, variable: str) -> bool | None:
    """``?name=true|false`` in a query parsed by ``urllib.parse.parse_qs``; None when absent."""
    values = query.get(name)
    if not values:
        return None
    value = values[-1].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise MailUrlError(f"{variable}: {name}={values[-1]!r} is not true or false")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_modes(
    parts: SplitResult, query: dict[str, list[str]], variable: str, secret: str
) -> tuple[bool, bool]:
    """(TLS from the first byte, STARTTLS) for a mail server URL. The secure scheme (``smtps``,
    ``imaps``) means TLS from the start; otherwise STARTTLS, unless the server is this machine or the
    URL says ``starttls=false``. TLS fails closed: ``secret`` (what the URL would send, if anything)
    never goes unencrypted off this machine."""
    use_tls = parts.scheme.endswith("s")
    local = is_loopback(parts.hostname or "")
    starttls = flag(query, "starttls", variable)
    start_tls = False if use_tls else (starttls if starttls is not None else not local)
    if secret and not (use_tls or start_tls or local):
        raise MailUrlError(f"{variable}: refusing to send {secret} without TLS")
    return use_tls, start_tls
