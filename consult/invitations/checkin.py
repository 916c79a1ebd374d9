"""The personal check-in code of an invitation to an in-person or hybrid event, and its QR code.

The code is derived, not stored: an HMAC of the invitation's id under the application's secret key,
so every email (the invitation, each update and reminder) and the RSVP page show the same code
without a column to keep, and nobody can make up a valid one without the key. It is only ever
checked by staff (``POST /api/v1/events/{id}/check-in``) against the invitations of that one event,
so a code is worth nothing elsewhere. Changing ``CONSULT_SECRET_KEY`` changes every code (print
the emails again, or check people in by name).

Ten characters of Crockford's base32 (50 bits: no I, L, O or U, so nothing is misread) in two
groups of five: short enough to type at a registration desk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from uuid import UUID

import segno

from consult.events.models import EventFormat

_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_RFC4648, _CROCKFORD)
# What people type instead: lower case, O for 0, I and L for 1 (Crockford's rule), any separator.
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_LENGTH = 10


def carries_code(event_format: EventFormat) -> bool:
    """Only people who come to a room are checked in; online attendance comes from the report."""
    return event_format.needs_venue


def checkin_code(secret_key: str, invitation_id: UUID) -> str:
    """The code as printed: ``ABCDE-FGHJK``."""
    digest = hmac.new(secret_key.encode(), b"checkin:" + invitation_id.bytes, hashlib.sha256).digest()
    plain = base64.b32encode(digest[:10]).decode()[:CODE_LENGTH].translate(_TO_CROCKFORD)
    return f"{plain[:5]}-{plain[5:]}"


def normalise_code(typed: str) -> str | None:
    """The code as typed or scanned, printed form; None when it cannot be one."""
    plain = re.sub(r"[\s\-_.]+", "", typed).upper().translate(_TYPED)
    if len(plain) != CODE_LENGTH or any(c not in _CROCKFORD for c in plain):
        return None
    return f"{plain[:5]}-{plain[5:]}"


def _qr(code: str) -> segno.QRCode:
    # Upper-case letters, digits and '-' fit QR's alphanumeric mode: a small symbol (version 1).
    return segno.make_qr(code, error="m")


def qr_png(code: str) -> bytes:
    out = io.BytesIO()
    _qr(code).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def qr_svg_data_uri(code: str) -> str:
    """For the RSVP page: an ``<img src>`` the page's Content-Security-Policy allows (``data:``)."""
    return str(_qr(code).svg_data_uri(scale=6, border=4, title=code))
