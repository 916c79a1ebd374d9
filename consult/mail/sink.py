"""The development mail sink: an SMTP server on 127.0.0.1 that stores every message it accepts as
an .eml file, so `consult dev` needs no mail server and sent mail can be opened in any mail client."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost")


class CaptureHandler:
    """aiosmtpd handler writing each message to ``folder`` as ``<UTC time>-<random>.eml``.

    The envelope is recorded in ``X-MailFrom`` / ``X-RcptTo`` headers on top of the message as
    received (as aiosmtpd's own handlers do), since Bcc recipients appear nowhere else.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        envelope_headers = f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        path = await asyncio.to_thread(self._store, envelope_headers.encode() + envelope.original_content)
        logger.info("captured mail to %s: %s", ", ".join(envelope.rcpt_tos), path)
        return "250 Message accepted for delivery"

    def _store(self, message: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:8]}.eml"
        # Written under a temporary name first, so whoever watches the folder never reads half a message.
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(message)
        return partial.rename(self.folder / name)


def sink_port(smtp_url: str) -> int:
    """The port to capture on: the one the application sends to. Only loopback addresses are
    accepted, so the sink is never reachable from other machines."""
    parts = urlsplit(smtp_url)
    if parts.scheme != "smtp" or parts.hostname not in LOOPBACK:
        raise ValueError(
            f"the mail sink listens on 127.0.0.1 only; CONSULT_SMTP_URL={smtp_url!r} "
            "must be smtp://127.0.0.1:PORT (or set CONSULT_MAIL_SINK=false)"
        )
    return parts.port or 25


def start_mail_sink(smtp_url: str, folder: Path) -> Controller:
    """Starts the sink in its own thread; stop it with ``.stop()``."""
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        CaptureHandler(folder), hostname="127.0.0.1", port=sink_port(smtp_url), enable_SMTPUTF8=True
    )
    controller.start()
    return controller
