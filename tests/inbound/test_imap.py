"""IMAP intake against a real dovecot: the poller stores each message once and only then marks it,
skips what it refused, survives concurrent pollers and a database outage; end to end, the worker's
beat polls the mailbox and a reply to a round email becomes a comment."""

from __future__ import annotations

import dataclasses
import logging
import ssl
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.policy import SMTP
from uuid import UUID

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from consult.inbound.imap import PROCESSED, REFUSED, ImapConfig, poll
from consult.inbound.models import InboundMessage, InboundState
from consult.mail.urls import MailUrlError
from consult.rounds.models import Comment
from consult.settings import DatabaseSettings, ImapSettings, Settings, get_settings
from tests.inbound.imap_server import DovecotServer
from tests.inbound.test_intake import ANNA, reply_to, round_email
from tests.waiting import wait_until
from workers.app import beat_schedule

NEW = f"UNKEYWORD {PROCESSED} UNKEYWORD {REFUSED}"


def test_imap_urls_are_read_with_tls_by_default_off_this_machine():
    config = ImapConfig.from_url("imaps://consult%40example.org:p%40ss%2Fw%20rd@mail.example.org")
    assert (config.host, config.port, config.use_tls, config.start_tls) == (
        "mail.example.org",
        993,
        True,
        False,
    )
    assert (config.username, config.password, config.folder) == ("consult@example.org", "p@ss/w rd", "INBOX")
    assert config.validate_certs is True
    remote = ImapConfig.from_url("imap://u:p@mail.example.org/Consult%20Replies?verify=false")
    assert (remote.port, remote.use_tls, remote.start_tls) == (143, False, True)
    assert (remote.folder, remote.validate_certs) == ("Consult Replies", False)
    local = ImapConfig.from_url("imap://u:p@127.0.0.1:1143/INBOX/Replies")
    assert (local.port, local.start_tls, local.folder) == (1143, False, "INBOX/Replies")
    assert ImapConfig.from_url("imap://u:p@localhost?starttls=true").start_tls is True


@pytest.mark.parametrize(
    "url",
    [
        "imap://u:p@mail.example.org?starttls=false",  # the password in clear text
        "imap://mail.example.org/INBOX",  # no user
        "https://u:p@mail.example.org",
        "imaps://u:p@mail.example.org?verify=maybe",
        "imaps://u:p@mail.example.org/R%C3%A9ponses",  # needs modified UTF-7
    ],
)
def test_unsafe_or_malformed_imap_urls_are_refused(url):
    with pytest.raises(MailUrlError):
        ImapConfig.from_url(url)


def test_beat_polls_only_when_a_mailbox_is_set():
    assert "poll-imap" not in beat_schedule(Settings(imap=ImapSettings(url="")))
    schedule = beat_schedule(Settings(imap=ImapSettings(url="imaps://u:p@mail.example.org", poll_seconds=15)))
    assert schedule["poll-imap"] == {"task": "consult.poll_imap", "schedule": 15}


# --- the poller, in this process, against dovecot ------------------------------------------------------


def message(subject: str, message_id: bool = True, body: str = "Some text.\n") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Someone <someone@example.org>"
    mail["To"] = "consult@example.org"
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    mail.set_content(body)
    return mail.as_bytes(policy=SMTP)


@pytest.fixture
def folder(imap_server: DovecotServer) -> str:
    """A folder of its own in the poller's mailbox, so the tests do not see each other's mail."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    with imap_server.folder("poller", name):
        pass
    return name


def with_imap(settings: Settings, url: str, **changes) -> Settings:
    return dataclasses.replace(settings, imap=dataclasses.replace(settings.imap, url=url, **changes))


def settings_for(imap_server: DovecotServer, folder: str, **imap_changes) -> Settings:
    return with_imap(get_settings(), imap_server.url("poller", folder), **imap_changes)


def stored(db) -> dict[bytes, InboundMessage]:
    db.expire_all()
    return {row.raw: row for row in db.scalars(select(InboundMessage))}


def wait_until_processed(db, count: int) -> None:
    def processed() -> bool:
        db.expire_all()
        states = db.scalars(select(InboundMessage.state)).all()
        return len(states) == count and all(s is InboundState.DONE for s in states)

    wait_until(processed, f"the worker to process {count} messages")


@pytest.mark.parametrize("processed_folder", ["", "Done"])
def test_each_new_message_is_stored_once_then_marked(imap_server, folder, db, worker, processed_folder):
    # One without a Message-ID: its bytes are its identity.
    messages = [message("One"), message("Two"), message("No Message-ID", message_id=False)]
    imap_server.append("poller", folder, *messages)
    destination = f"{folder}-{processed_folder}" if processed_folder else ""
    settings = settings_for(imap_server, folder, processed_folder=destination)

    assert poll(settings) == 3
    rows = stored(db)
    assert sorted(rows) == sorted(messages)
    assert {row.source for row in rows.values()} == {"imap"}
    assert rows[messages[2]].dedupe_key.startswith("sha256:")
    handled = f"KEYWORD {PROCESSED} SEEN"
    if destination:  # moved, the marks kept
        assert imap_server.search("poller", folder) == []
        assert sorted(imap_server.search("poller", destination, handled)) == sorted(messages)
    else:
        assert sorted(imap_server.search("poller", folder, handled)) == sorted(messages)
    wait_until_processed(db, 3)  # dispatched to the worker

    assert poll(settings) == 0
    assert len(stored(db)) == 3


def test_a_crash_before_the_mark_fetches_again_and_stores_nothing_twice(imap_server, folder, db, worker):
    imap_server.append("poller", folder, message("Once"), message("Once more", message_id=False))
    settings = settings_for(imap_server, folder)
    assert poll(settings) == 2
    # Stored, but the poller died before marking them: on the server they are new again.
    with imap_server.folder("poller", folder) as client:
        client.uid("STORE", "1:*", "-FLAGS", f"(\\Seen {PROCESSED})")
    assert len(imap_server.search("poller", folder, NEW)) == 2
    assert poll(settings) == 0
    assert len(stored(db)) == 2
    assert imap_server.search("poller", folder, NEW) == []


def test_concurrent_pollers_store_each_message_exactly_once(imap_server, folder, db, worker):
    messages = [message(f"Message {n}", message_id=n % 3 != 0) for n in range(24)]
    imap_server.append("poller", folder, *messages)
    settings = settings_for(imap_server, folder, processed_folder=f"{folder}-done")
    start = threading.Barrier(4)

    def run(_: int) -> int:
        start.wait()
        return poll(settings)

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(run, range(4)))
    assert sorted(counts) == [0, 0, 0, 24]  # one poll at a time: the others found the mailbox locked
    assert sorted(stored(db)) == sorted(messages)
    assert imap_server.search("poller", folder) == []
    assert sorted(imap_server.search("poller", f"{folder}-done")) == sorted(messages)
    wait_until_processed(db, 24)


def test_the_same_messages_in_two_folders_polled_at_once_are_stored_once(imap_server, folder, db, worker):
    # Two mailboxes, two locks: only the dedupe key keeps the pollers from storing a message twice.
    messages = [message(f"Copy {n}", message_id=n % 2 == 0) for n in range(12)]
    other = f"{folder}-copy"
    imap_server.append("poller", folder, *messages)
    imap_server.append("poller", other, *messages)
    start = threading.Barrier(4)

    def run(name: str) -> int:
        start.wait()
        return poll(settings_for(imap_server, name))

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(run, [folder, other, folder, other]))
    assert sum(counts) == 12, counts
    assert sorted(stored(db)) == sorted(messages)
    assert imap_server.search("poller", folder, NEW) == imap_server.search("poller", other, NEW) == []
    wait_until_processed(db, 12)


@pytest.fixture
def poisoned_subject(db) -> Iterator[str]:
    """A database trigger that refuses to store messages with this subject: a storing failure that is
    the message's, not an outage."""
    db.execute(
        text(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.subject = 'Poison' THEN RAISE EXCEPTION 'refused by the test'; END IF;"
            " RETURN NEW; END $$"
        )
    )
    db.execute(
        text(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON inbound_message"
            " FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
        )
    )
    db.commit()
    try:
        yield "Poison"
    finally:
        db.rollback()
        db.execute(text("DROP TRIGGER refuse_poison ON inbound_message"))
        db.execute(text("DROP FUNCTION refuse_poison()"))
        db.commit()


def test_oversized_and_unstorable_messages_are_flagged_and_do_not_block_others(
    imap_server, folder, db, worker, caplog, poisoned_subject
):
    first, last = message("First"), message("Last")
    oversized = message("Big", body=("x" * 70 + "\n") * 100)
    poison = message(poisoned_subject)
    # Python's email parser cannot read this From header, and PostgreSQL keeps no NUL in text: both
    # are stored all the same (what they become is the worker's business).
    unreadable = b'From: "\r\nSubject: unreadable sender\r\n\r\nText.\r\n'
    nul = b"From: a@example.org\r\nSubject: =?utf-8?q?a=00b?=\r\n\r\nText.\r\n"
    imap_server.append("poller", folder, first, oversized, poison, unreadable, nul, last)
    settings = settings_for(imap_server, folder)
    settings = dataclasses.replace(settings, inbound=dataclasses.replace(settings.inbound, max_bytes=2000))

    with caplog.at_level(logging.WARNING, logger="consult.inbound.imap"):
        assert poll(settings) == 4
    found = stored(db)
    assert sorted(found) == sorted([first, unreadable, nul, last])
    assert found[nul].subject == "ab" and found[unreadable].from_address is None
    refused = imap_server.search("poller", folder, f"KEYWORD {REFUSED} FLAGGED UNSEEN")
    assert sorted(refused) == sorted([oversized, poison])  # left for a person to look at
    assert len([r for r in caplog.records if "more than CONSULT_INBOUND_MAX_BYTES" in r.message]) == 1
    assert len([r for r in caplog.records if "could not be stored" in r.message]) == 1

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="consult.inbound.imap"):
        assert poll(settings) == 0  # refused messages are not tried again
    assert caplog.records == []
    assert len(stored(db)) == 4


@pytest.mark.parametrize("unusable", ["refused", "no tables"])
def test_when_the_database_is_unusable_nothing_is_marked(imap_server, folder, db, tmp_path, unusable):
    imap_server.append("poller", folder, message("Waits"))
    settings = settings_for(imap_server, folder)
    if unusable == "refused":  # before the poll begins: the lock cannot be taken
        down = dataclasses.replace(
            settings, database=DatabaseSettings(url="postgresql://postgres@127.0.0.1:9/consult")
        )
        with pytest.raises(ConnectionRefusedError):
            poll(down)
    else:  # while storing: SQLite takes no lock, and the table is missing
        down = dataclasses.replace(
            settings, database=DatabaseSettings(url=f"sqlite:///{tmp_path}/empty.sqlite3")
        )
        with pytest.raises(OperationalError, match="no such table"):
            poll(down)
    assert len(imap_server.search("poller", folder, NEW)) == 1
    assert poll(settings) == 1


@pytest.mark.parametrize(
    ("scheme", "query"), [("imaps", "verify=false"), ("imap", "starttls=true&verify=false")]
)
def test_tls_and_starttls(imap_server, folder, db, scheme, query):
    imap_server.append("poller", folder, message("Encrypted"))
    settings = with_imap(get_settings(), imap_server.url("poller", folder, scheme=scheme, query=query))
    with pytest.raises(ssl.SSLCertVerificationError):  # the test server's certificate is self-signed
        poll(with_imap(settings, settings.imap.url.replace("verify=false", "verify=true")))
    assert poll(settings) == 1


# --- end to end: the worker's beat polls the mailbox ----------------------------------------------------


def test_a_reply_in_the_mailbox_becomes_a_comment(
    imap_server, make_round, directory, smtp, worker, db, facilitator, api
):
    round_, received = round_email(make_round, directory, smtp, ANNA)
    raw = reply_to(received, ANNA, "Please publish the draft in Azerbaijani too.")
    imap_server.append("consult", "INBOX", raw)

    def taken_in() -> InboundMessage | None:
        db.expire_all()
        row = db.scalar(select(InboundMessage))
        return row if row is not None and row.state is InboundState.DONE else None

    row = wait_until(taken_in, "the worker to take the reply in", interval=0.2)
    assert (row.source, row.outcome.value) == ("imap", "comment"), row.reason
    tree = facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json()
    [section] = tree["sections"]
    [thread] = section["threads"]
    assert thread["body"] == "Please publish the draft in Azerbaijani too."
    assert thread["author"]["full_name"] == "Anna Gruber"
    comment = db.get(Comment, row.comment_id)
    assert comment.author_id == UUID(directory.person(ANNA))
    [entry] = api.get("/api/v1/inbound/log").json()["items"]
    assert (entry["source"], entry["outcome"]) == ("imap", "comment")
    # Out of the inbox, into the processed folder, marked.
    mid = row.message_id
    assert imap_server.search("consult", "INBOX") == []
    [moved] = imap_server.search("consult", "Processed", f"KEYWORD {PROCESSED} SEEN HEADER Message-ID {mid}")
    assert moved.replace(b"\r\n", b"\n") == raw
