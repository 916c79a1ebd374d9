"""Polling an IMAP mailbox (CONSULT_IMAP_URL) for incoming mail: each new message is stored as if it
had been handed to ``POST /api/v1/inbound/email``, processed by a worker, and marked on the server.

Per message, in this order: fetch it with ``BODY.PEEK[]`` (which changes nothing on the server), store
it and commit (which dispatches its processing), and only then mark it: keyword ``$ConsultProcessed`` and
``\\Seen``, and a move to CONSULT_IMAP_PROCESSED_FOLDER when one is set. A crash anywhere before the
mark fetches the message again at the next poll, and storing it again changes nothing.

Several pollers at once (a poll outlasting the interval, two beats by mistake) must not process a
message twice. The guarantee is the database's unique index on the stored message's dedupe key (its
Message-ID, or the SHA-256 of its bytes): each poller may fetch a message, exactly one stores it, and
only that one dispatches it; processing takes the row ``FOR UPDATE`` and works on pending rows only,
so even a second dispatch would change nothing. This holds across processes and machines, and for
the same message in two polled folders. On PostgreSQL a poll also takes an advisory lock on its
mailbox (host, user, folder) and stops at once when another poll holds it: that saves the work, and
keeps two pollers from both moving a message, which leaves a copy from each in the processed folder.

Messages we will not store get the keyword ``$ConsultRefused`` and ``\\Flagged`` and stay where they
are, for a person to look at; polls skip them from then on. They are those larger than
CONSULT_INBOUND_MAX_BYTES (judged by ``RFC822.SIZE``, without fetching them) and those storing fails on.
When the database is unreachable the poll stops and leaves the rest, unmarked, for the next one.

Servers that keep no keywords of ours (``PERMANENTFLAGS`` without ``\\*``) are searched for UNSEEN
messages instead, and handled ones marked ``\\Seen``: there, people must not read the polled folder
in a mail client, or what they open is never taken in.
"""

from __future__ import annotations

import asyncio
import hashlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from consult.audit.recording import INTAKE, act_as
from consult.db import async_session_factory, create_api_engine
from consult.inbound.service import store
from consult.mail.urls import MailUrlError, flag, tls_modes
from consult.settings import Settings

logger = logging.getLogger(__name__)

PROCESSED = "$ConsultProcessed"
REFUSED = "$ConsultRefused"
TIMEOUT_SECONDS = 30.0
# UIDs per FETCH command: servers limit the length of a command line (dovecot to 64 KiB).
CHUNK = 200
_VARIABLE = "CONSULT_IMAP_URL"
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class ImapError(RuntimeError):
    """The IMAP server refused a command."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    username: str
    password: str
    folder: str
    use_tls: bool
    start_tls: bool
    validate_certs: bool

    @classmethod
    def from_url(cls, url: str) -> ImapConfig:
        """``imaps://user:pass@host:993/INBOX`` or ``imap://user:pass@host:143/INBOX?starttls=true``.

        User name, password and folder are percent-decoded; the folder defaults to INBOX. As for SMTP,
        TLS fails closed: ``imap://`` uses STARTTLS for any server off this machine, and the password
        is never sent unencrypted off it; ``verify=false`` accepts any certificate.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise MailUrlError(f"{_VARIABLE} must look like imaps://user:pass@host:993/INBOX")
        query = parse_qs(parts.query)
        use_tls, start_tls = tls_modes(parts, query, _VARIABLE, "the password")
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        if not folder.isascii():  # other names need IMAP's modified UTF-7
            raise MailUrlError(f"{_VARIABLE}: the folder name {folder!r} is not ASCII")
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if use_tls else 143),
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=folder,
            use_tls=use_tls,
            start_tls=start_tls,
            validate_certs=flag(query, "verify", _VARIABLE) is not False,
        )


@dataclass(frozen=True)
class Marks:
    """How this server's folder tells messages apart: not yet handled, stored, refused."""

    new: str
    stored: str
    refused: str


KEYWORDS = Marks(
    new=f"UNKEYWORD {PROCESSED} UNKEYWORD {REFUSED}",
    stored=f"(\\Seen {PROCESSED})",
    refused=f"(\\Flagged {REFUSED})",
)
SEEN_ONLY = Marks(new="UNSEEN", stored="(\\Seen)", refused="(\\Seen \\Flagged)")


def _quote(text: str) -> str:
    """An IMAP quoted string (imaplib quotes passwords only)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = response
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise ImapError(f"IMAP {what}: {typ} {detail}")
    return data


def _applied(response: tuple[str, list[Any]], what: str) -> list[Any] | None:
    """The response's data; None when another client moved or deleted the message meanwhile."""
    typ, data = response
    if typ == "NO" and isinstance(data[0], bytes) and data[0].startswith(b"[EXPUNGEISSUED]"):
        return None
    return _ok(response, what)


def _tls_context(config: ImapConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not config.validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@contextmanager
def connect(config: ImapConfig) -> Iterator[imaplib.IMAP4]:
    """A logged-in IMAP session, logged out at the end."""
    imap: imaplib.IMAP4
    if config.use_tls:
        imap = imaplib.IMAP4_SSL(
            config.host, config.port, ssl_context=_tls_context(config), timeout=TIMEOUT_SECONDS
        )
    else:
        imap = imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT_SECONDS)
    try:
        if config.start_tls:
            imap.starttls(_tls_context(config))
        imap.login(_quote(config.username), config.password)
        yield imap
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            imap.logout()


def _select(imap: imaplib.IMAP4, folder: str) -> Marks:
    _ok(imap.select(_quote(folder)), f"SELECT {folder}")
    _, flags = imap.response("PERMANENTFLAGS")
    return KEYWORDS if b"\\*" in (flags[0] or b"") else SEEN_ONLY


def _exists(imap: imaplib.IMAP4, folder: str) -> bool:
    return _ok(imap.list('""', _quote(folder)), f"LIST {folder}") != [None]


def _destination(imap: imaplib.IMAP4, folder: str) -> str | None:
    """The folder handled messages are moved to, created when missing; None to leave them in place."""
    if not folder:
        return None
    capabilities = (_ok(imap.capability(), "CAPABILITY")[0] or b"").upper().split()
    if b"MOVE" not in capabilities:
        logger.warning("the IMAP server cannot MOVE; handled messages stay in the polled folder, marked")
        return None
    if not _exists(imap, folder):
        typ, data = imap.create(_quote(folder))
        if typ != "OK" and not _exists(imap, folder):  # not created by another poller meanwhile
            _ok((typ, data), f"CREATE {folder}")
    return folder


def _new_messages(imap: imaplib.IMAP4, marks: Marks) -> list[tuple[str, int]]:
    """UID and size of each message not handled yet, oldest first."""
    uids = [uid.decode() for uid in (_ok(imap.uid("SEARCH", marks.new), "SEARCH")[0] or b"").split()]
    found = []
    for start in range(0, len(uids), CHUNK):
        data = _ok(imap.uid("FETCH", ",".join(uids[start : start + CHUNK]), "(RFC822.SIZE)"), "FETCH")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
            if uid and size:  # not an unsolicited FETCH about flags
                found.append((uid.group(1).decode(), int(size.group(1))))
    return found


def _fetch(imap: imaplib.IMAP4, uid: str) -> bytes | None:
    """The message as stored on the server; None when another client moved or deleted it."""
    for item in _applied(imap.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}") or []:
        if isinstance(item, tuple):
            found = _UID.search(item[0])
            if found and found.group(1).decode() == uid:
                return bytes(item[1])
    return None


def _outage(exc: Exception) -> bool:
    """The database is unreachable, which is no fault of the message."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError | OperationalError | InterfaceError)


async def _store(sessions: async_sessionmaker[AsyncSession], raw: bytes) -> UUID | None:
    """The new stored message's id; None when it had been stored before."""
    async with sessions() as session:
        act_as(session, INTAKE)
        row, duplicate = await store(session, raw, source="imap")
        inbound_id = row.id
        await session.commit()
    return None if duplicate else inbound_id


@dataclass
class _Poll:
    imap: imaplib.IMAP4
    runner: asyncio.Runner
    sessions: async_sessionmaker[AsyncSession]
    marks: Marks
    destination: str | None
    max_bytes: int

    def _mark(self, uid: str, flags: str) -> bool:
        return _applied(self.imap.uid("STORE", uid, "+FLAGS.SILENT", flags), f"STORE {uid}") is not None

    def take(self, uid: str, size: int) -> bool:
        """Store (and so dispatch), then mark one message; whether it was new to us."""
        if size > self.max_bytes:
            logger.warning(
                "IMAP message UID %s has %d bytes, more than CONSULT_INBOUND_MAX_BYTES; flagged %s",
                uid,
                size,
                REFUSED,
            )
            self._mark(uid, self.marks.refused)
            return False
        raw = _fetch(self.imap, uid)
        if raw is None:
            return False
        try:
            inbound_id = self.runner.run(_store(self.sessions, raw))
        except Exception as exc:
            if _outage(exc):
                raise
            logger.exception("IMAP message UID %s could not be stored; flagged %s", uid, REFUSED)
            self._mark(uid, self.marks.refused)
            return False
        if self._mark(uid, self.marks.stored) and self.destination is not None:
            _applied(self.imap.uid("MOVE", uid, _quote(self.destination)), f"MOVE {uid}")
        return inbound_id is not None


def _lock_key(config: ImapConfig) -> int:
    mailbox = f"{config.host}:{config.port}/{config.username}/{config.folder}"
    return int.from_bytes(hashlib.sha256(mailbox.encode()).digest()[:8], "big", signed=True)


async def _lock(engine: AsyncEngine, config: ImapConfig) -> AsyncConnection | None:
    """A connection holding the mailbox's lock; None while another poll holds it. A session-level lock
    in autocommit: a transaction left open for the whole poll could be ended by the server's
    idle-in-transaction timeout, and the lock with it."""
    connection = await engine.connect()
    if connection.dialect.name != "postgresql":
        return connection  # SQLite is the embedded default: one machine, one worker
    locked = False
    try:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        locked = bool(await connection.scalar(select(func.pg_try_advisory_lock(_lock_key(config)))))
    finally:
        if not locked:
            await connection.close()
    return connection if locked else None


async def _unlock(connection: AsyncConnection, config: ImapConfig) -> None:
    try:
        if connection.dialect.name == "postgresql":
            await connection.scalar(select(func.pg_advisory_unlock(_lock_key(config))))
    finally:
        await connection.close()


@contextmanager
def _database(
    settings: Settings, config: ImapConfig, runner: asyncio.Runner
) -> Iterator[async_sessionmaker[AsyncSession] | None]:
    """Sessions to store messages with, while this poll holds the mailbox; None if another does."""
    engine = create_api_engine(settings)
    try:
        lock = runner.run(_lock(engine, config))
        if lock is None:
            yield None
            return
        try:
            yield async_session_factory(engine)
        finally:
            runner.run(_unlock(lock, config))
    finally:
        runner.run(engine.dispose())


def poll(settings: Settings) -> int:
    """Take in the new messages of the CONSULT_IMAP_URL folder; how many were new to us."""
    config = ImapConfig.from_url(settings.imap.url)
    with connect(config) as imap:
        marks = _select(imap, config.folder)
        new = _new_messages(imap, marks)
        if not new:  # most polls: no database connection needed
            return 0
        # One event loop for the rest of the poll: the database engine's connections belong to it.
        with asyncio.Runner() as runner, _database(settings, config, runner) as sessions:
            if sessions is None:
                logger.info("another poll of %s is running; this one stops", config.folder)
                return 0
            destination = _destination(imap, settings.imap.processed_folder)
            poller = _Poll(imap, runner, sessions, marks, destination, settings.inbound.max_bytes)
            return sum(poller.take(uid, size) for uid, size in new)
