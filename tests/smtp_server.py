"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts and can be told to
refuse recipients, defer them, or go down for a while."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.waiting import wait_until


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


class RecordingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.replies: dict[str, str] = {}  # recipient -> SMTP reply that refuses it

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 2.0.0 Message accepted"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, data_size_limit=10_000_000
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()
        self.handler.replies.clear()

    def refuse(self, address: str, reply: str) -> None:
        self.handler.replies[address.lower()] = reply

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (t.lower() for t in r.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        def enough() -> list[Received] | None:
            received = self.received
            return received if len(received) >= count else None

        return wait_until(enough, f"{count} messages at the SMTP server", timeout, interval=0.05)
