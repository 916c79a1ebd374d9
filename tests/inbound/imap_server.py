"""A real dovecot IMAP server for the tests: its own configuration, users, mail and sockets in a
temporary folder, listening on 127.0.0.1 only (plain IMAP with STARTTLS, and IMAPS), with a
self-signed certificate."""

from __future__ import annotations

import imaplib
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from tests.waiting import wait_until

# uid 0 may not own mail; the system's mail user does.
MAIL_USER = "mail"
USERS = {
    # The mailbox the test worker polls (tests/conftest.py).
    "consult": "s3cret/p@ss word",
    # Each poller test uses a folder of its own in this mailbox.
    "poller": "poller-pass",
}

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


class DovecotServer:
    def __init__(self, imap_port: int, imaps_port: int) -> None:
        self.imap_port = imap_port
        self.imaps_port = imaps_port
        # A short path: dovecot's UNIX sockets live in base_dir, and socket paths are limited to ~100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)  # dovecot's auth process runs as the dovecot user and reads the passwd file
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, user: str, folder: str = "INBOX", scheme: str = "imap", query: str = "") -> str:
        port = self.imaps_port if scheme == "imaps" else self.imap_port
        credentials = f"{quote(user, safe='')}:{quote(USERS[user], safe='')}"
        return f"{scheme}://{credentials}@127.0.0.1:{port}/{quote(folder)}" + (f"?{query}" if query else "")

    def start(self) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError(
                "dovecot is not installed; the IMAP intake tests need it: "
                "apt-get install dovecot-imapd (.ci/run does)"
            )
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-subj", "/CN=127.0.0.1"),
                *("-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem")),
            ],
            check=True,
            capture_output=True,
        )
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in USERS.items()))
        (self.root / "home").mkdir()
        shutil.chown(self.root / "home", MAIL_USER, MAIL_USER)
        config = self.root / "dovecot.conf"
        config.write_text(
            _CONFIG.format(
                root=self.root, mail_user=MAIL_USER, imap_port=self.imap_port, imaps_port=self.imaps_port
            )
        )
        log = (self.root / "stdout.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            return all(_listening(port) for port in (self.imap_port, self.imaps_port))

        wait_until(listening, "dovecot to listen", interval=0.05)

    def log(self) -> str:
        return "".join(
            path.read_text(errors="replace")[-3000:]
            for path in (self.root / "stdout.log", self.root / "dovecot.log")
            if path.exists()
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    @contextmanager
    def folder(self, user: str, folder: str) -> Iterator[imaplib.IMAP4]:
        """A client session of our own in the folder (created when missing), to put mail in and to
        look at what the poller left."""
        client = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        try:
            client.login(user, USERS[user])
            client.create(f'"{folder}"')
            assert client.select(f'"{folder}"')[0] == "OK"
            yield client
        finally:
            client.logout()

    def append(self, user: str, folder: str, *messages: bytes) -> None:
        with self.folder(user, folder) as client:
            for raw in messages:
                assert client.append(f'"{folder}"', None, None, raw)[0] == "OK"

    def search(self, user: str, folder: str, criteria: str = "ALL") -> list[bytes]:
        """The raw messages in the folder that match."""
        with self.folder(user, folder) as client:
            uids = client.uid("SEARCH", criteria)[1][0].split()
            return [client.uid("FETCH", uid, "(BODY.PEEK[])")[1][0][1] for uid in uids]


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
