"""Sending a batch of messages over one SMTP connection, classifying each result.

RFC 5321: a 4xx reply or a broken connection is worth retrying later; a 5xx reply is final.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from consult.mail.compose import OutgoingEmail
from consult.mail.urls import MailUrlError, flag, tls_modes

_VARIABLE = "CONSULT_SMTP_URL"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool
    validate_certs: bool
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float = 30.0) -> SmtpConfig:
        """``smtp://user:pass@host:587?starttls=true`` or ``smtps://host:465``.

        TLS fails closed: STARTTLS is required for any server off this machine unless the URL says
        ``starttls=false``, and credentials are never sent over an unencrypted connection off it.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailUrlError(f"{_VARIABLE} must look like smtp://user:pass@host:587?starttls=true")
        query = parse_qs(parts.query)
        username = unquote(parts.username) if parts.username else None
        use_tls, start_tls = tls_modes(parts, query, _VARIABLE, "credentials" if username else "")
        verify = flag(query, "verify", _VARIABLE)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if use_tls else 587 if start_tls else 25),
            username=username,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=start_tls,
            validate_certs=verify is not False,
            timeout=timeout,
        )

    def client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            validate_certs=self.validate_certs,
            timeout=self.timeout,
        )


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str


def _reply(code: int, message: str) -> str:
    return f"{code} {message}".strip()


def classify(exc: BaseException) -> Result:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(_reply(r.code, r.message) for r in exc.recipients)
        return Result(Outcome.FAILED if any(c >= 500 for c in codes) else Outcome.RETRY, detail)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        outcome = Outcome.FAILED if exc.code >= 500 else Outcome.RETRY
        return Result(outcome, _reply(exc.code, exc.message))
    return Result(Outcome.RETRY, f"{type(exc).__name__}: {exc}".strip())


class RateLimiter:
    """Spaces messages out to at most ``per_second`` from this process (0 = unlimited)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_slot = time.monotonic()

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_slot > now:
            await asyncio.sleep(self.next_slot - now)
        self.next_slot = max(now, self.next_slot) + self.interval


def _refusal(refused: dict[str, aiosmtplib.SMTPResponse]) -> Result:
    return classify(
        aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(r.code, r.message, rcpt) for rcpt, r in refused.items()]
        )
    )


async def _send_over_one_connection(
    config: SmtpConfig,
    emails: Sequence[OutgoingEmail],
    waiting: deque[int],
    on_result: Callable[[int, Result], None],
    limiter: RateLimiter,
) -> None:
    """Take messages from ``waiting`` until it is empty; a broken connection is opened again once,
    a connection that cannot be opened leaves the rest to the other connections."""
    smtp: aiosmtplib.SMTP | None = None
    reconnects_left = 1
    try:
        while waiting:
            if smtp is None or not smtp.is_connected:
                try:
                    smtp = config.client()
                    await smtp.connect()
                except (aiosmtplib.SMTPException, OSError) as exc:
                    on_result(waiting.popleft(), classify(exc))
                    return
            index = waiting.popleft()
            email = emails[index]
            await limiter.wait()
            try:
                refused, response = await smtp.sendmail(email.envelope_from, [email.recipient], email.raw)
            except aiosmtplib.SMTPServerDisconnected as exc:
                on_result(index, classify(exc))
                smtp = None
                if reconnects_left == 0:
                    return
                reconnects_left -= 1
                continue
            except (aiosmtplib.SMTPException, OSError) as exc:
                on_result(index, classify(exc))
                continue
            on_result(index, _refusal(refused) if refused else Result(Outcome.SENT, response))
    finally:
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


async def deliver(
    config: SmtpConfig,
    emails: Sequence[OutgoingEmail],
    on_result: Callable[[int, Result], None],
    limiter: RateLimiter | None = None,
    connections: int = 1,
) -> None:
    """Send every message, over ``connections`` reused connections in parallel (one waits for the
    server's reply while another writes), reporting each result as it is known. Messages no
    connection could reach are reported for retry."""
    waiting = deque(range(len(emails)))
    limiter = limiter or RateLimiter(0)
    await asyncio.gather(
        *(
            _send_over_one_connection(config, emails, waiting, on_result, limiter)
            for _ in range(max(1, min(connections, len(emails))))
        )
    )
    for index in waiting:
        on_result(index, Result(Outcome.RETRY, "no SMTP connection could be opened"))
