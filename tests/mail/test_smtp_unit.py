"""SMTP settings fail closed, and SMTP replies are classified as RFC 5321 says."""

from __future__ import annotations

import aiosmtplib
import pytest

from consult.mail.smtp import Outcome, SmtpConfig, classify
from consult.mail.urls import MailUrlError


def test_starttls_is_required_off_this_machine_unless_turned_off_explicitly():
    remote = SmtpConfig.from_url("smtp://relay.example.org")
    assert (remote.start_tls, remote.use_tls, remote.port) == (True, False, 587)
    assert SmtpConfig.from_url("smtp://relay.example.org:25?starttls=false").start_tls is False
    local = SmtpConfig.from_url("smtp://127.0.0.1:8025")
    assert (local.start_tls, local.port) == (False, 8025)


def test_implicit_tls_credentials_and_certificates():
    config = SmtpConfig.from_url("smtps://consult%40example.org:p%40ss@mail.example.org")
    assert (config.use_tls, config.start_tls, config.port) == (True, False, 465)
    assert (config.username, config.password) == ("consult@example.org", "p@ss")
    assert config.validate_certs is True
    assert SmtpConfig.from_url("smtps://mail.example.org?verify=false").validate_certs is False


@pytest.mark.parametrize(
    "url",
    [
        "smtp://user:secret@relay.example.org:25?starttls=false",  # credentials in clear text
        "http://relay.example.org",
        "smtp://",
        "smtp://relay.example.org?starttls=maybe",
    ],
)
def test_unsafe_or_malformed_urls_are_refused(url):
    with pytest.raises(MailUrlError):
        SmtpConfig.from_url(url)


def test_replies_are_classified():
    assert classify(aiosmtplib.SMTPResponseException(451, "try later")).outcome is Outcome.RETRY
    assert classify(aiosmtplib.SMTPResponseException(554, "rejected")).outcome is Outcome.FAILED
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@example.org")]
    )
    result = classify(refused)
    assert result.outcome is Outcome.FAILED
    assert "550 no such user" in result.detail
    greylisted = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(450, "greylisted", "x@e.org")]
    )
    assert classify(greylisted).outcome is Outcome.RETRY
    assert classify(ConnectionRefusedError("refused")).outcome is Outcome.RETRY
    assert classify(aiosmtplib.SMTPServerDisconnected("gone")).outcome is Outcome.RETRY


def test_the_rate_limiter_spaces_messages_out():
    import asyncio
    import time

    from consult.mail.smtp import RateLimiter

    async def send_five(limiter: RateLimiter) -> float:
        started = time.monotonic()
        for _ in range(5):
            await limiter.wait()
        return time.monotonic() - started

    assert asyncio.run(send_five(RateLimiter(20))) >= 0.19  # 4 gaps of 50 ms
    assert asyncio.run(send_five(RateLimiter(0))) < 0.05
