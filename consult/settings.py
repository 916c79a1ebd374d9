"""Every setting comes from a CONSULT_* environment variable; this module is the only reader.

Settings are grouped by area (``settings.mail.smtp_url``, ``settings.rounds.scan_seconds``). Each field
names its variable, its default (as one would write it in the environment) and what it means; the
README's configuration table is generated from them (`consult settings`).
"""

# Each field's default is a field(default_factory=...) built by _setting, which RUF009 cannot see.
# ruff: noqa: RUF009

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import Field, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused outside dev by Settings.check_production
MIN_SECRET_KEY_BYTES = 32
MAKE_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'  # noqa: S105 - a command

T = TypeVar("T")


class InsecureSettings(Exception):
    """A production process was started with settings only fit for `consult dev`."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _setting(
    name: str, default: str, description: str, parse: Callable[[str], T], *, empty_is_default: bool = True
) -> T:
    """A field read from CONSULT_{name} when the settings are created.

    ``default`` is written as in the environment, so the README shows what one would type. Numbers and
    flags fall back to it when the variable is empty; a text setting takes an empty variable as its
    value (CONSULT_SMTP_URL= is an empty URL, not the default one).
    """
    variable = f"CONSULT_{name}"

    def read() -> T:
        raw = os.environ.get(variable)
        if raw is None or (empty_is_default and not raw.strip()):
            raw = default
        try:
            return parse(raw)
        except ValueError as exc:
            raise ValueError(f"{variable}: {exc}") from exc

    metadata = {"variable": variable, "default": default, "description": description}
    return field(default_factory=read, metadata=metadata)


def _time_zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {raw!r} (e.g. Asia/Baku)") from None
    return raw


def _text(name: str, default: str, description: str) -> str:
    return _setting(name, default, description, str, empty_is_default=False)


def _int(name: str, default: int, description: str) -> int:
    return _setting(name, str(default), description, int)


def _float(name: str, default: float, description: str) -> float:
    return _setting(name, f"{default:g}", description, float)


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = _setting(
        "DATA_DIR",
        "var",
        "local files: the SQLite database, the embedded broker, captured mail, export files, beat's schedule",
        lambda raw: Path(raw).resolve(),
        empty_is_default=False,
    )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "consult.sqlite3"

    @property
    def mail_capture_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def export_dir(self) -> Path:
        """Files written by export jobs."""
        return self.data_dir / "exports"

    @property
    def beat_schedule_path(self) -> Path:
        """Celery beat's record of when each periodic task last ran."""
        return self.data_dir / "celerybeat-schedule"


@dataclass(frozen=True)
class AppSettings:
    base_url: str = _setting(
        "BASE_URL",
        "http://127.0.0.1:8000",
        "public address of the API, used in links sent by email",
        lambda raw: raw.rstrip("/"),
        empty_is_default=False,
    )
    secret_key: str = _text(
        "SECRET_KEY",
        DEV_SECRET_KEY,
        "the application's signing secret; every process but `consult dev` refuses the default and keys "
        f"shorter than {MIN_SECRET_KEY_BYTES} bytes (make one: `{MAKE_SECRET_KEY}`)",
    )
    staff_token_days: int = _int(
        "STAFF_TOKEN_DAYS", 180, "lifetime of staff tokens issued by `consult users create`"
    )
    personal_page_link_days: int = _int(
        "PERSONAL_PAGE_LINK_DAYS",
        180,
        "a stakeholder's personal page link (`/p/…`, in the footer of every email) works this many days",
    )
    cors_origins: tuple[str, ...] = _setting(
        "CORS_ORIGINS",
        "",
        "origins (comma-separated, e.g. `https://portal.example.org`) whose browser scripts may call the "
        "API; empty: none (no CORS headers)",
        lambda raw: tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()),
    )


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = _text(
        "DATABASE_URL",
        "",
        "empty: SQLite in the data dir; else `postgresql://user:pass@host:5432/consult` (or `sqlite:///path`); "
        "drivers are chosen per use (asyncpg for the API, psycopg for workers and migrations)",
    )
    pool_size: int = _int("DB_POOL_SIZE", 10, "PostgreSQL connections per API process")

    @property
    def embedded(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class BrokerSettings:
    url: str = _text(
        "REDIS_URL",
        "",
        "Celery's broker, e.g. `redis://127.0.0.1:6379/0`; empty: embedded broker in the data dir (one machine only)",
    )
    queue: str = _text(
        "CELERY_QUEUE",
        "consult",
        "queue name; separate deployments (or test runs) sharing one Redis use different names",
    )

    @property
    def embedded(self) -> bool:
        return not self.url


def _mail_sink(raw: str) -> bool:
    # On by default only while CONSULT_SMTP_URL is unset, so a configured relay is used as is.
    return _parse_bool(raw) if raw.strip() else not os.environ.get("CONSULT_SMTP_URL", "")


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str = _text(
        "SMTP_URL",
        "smtp://127.0.0.1:8025",
        "mail relay: `smtp://user:pass@host:587?starttls=true` or `smtps://user:pass@host:465`",
    )
    smtp_timeout: float = _float("SMTP_TIMEOUT", 30.0, "seconds")
    sink: bool = _setting(
        "MAIL_SINK",
        "",
        "whether `consult dev` captures mail itself as .eml files on the SMTP URL's port (127.0.0.1 only); "
        "empty: while `CONSULT_SMTP_URL` is unset",
        _mail_sink,
    )
    from_address: str = _text("MAIL_FROM", "consult@example.org", "sender address of outgoing mail")
    from_name: str = _text("MAIL_FROM_NAME", "Consult", "sender name")
    reply_domain: str = _text(
        "REPLY_DOMAIN",
        "",
        "domain of the Reply-To `reply+TOKEN@` and VERP `bounce+ID@` addresses; empty: the domain of `CONSULT_MAIL_FROM`",
    )
    reply_token_days: int = _int(
        "REPLY_TOKEN_DAYS", 90, "a reply token works this many days after the email that carried it"
    )

    @property
    def domain(self) -> str:
        """The domain of reply, bounce and unsubscribe addresses."""
        return self.reply_domain or self.from_address.rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class OutboxSettings:
    smtp_connections: int = _int(
        "SMTP_CONNECTIONS",
        2,
        "SMTP connections each worker process keeps open in parallel while sending a batch",
    )
    rate_per_second: float = _float(
        "MAIL_RATE_PER_SECOND", 0.0, "messages per second per worker process (0: no limit)"
    )
    max_attempts: int = _int(
        "MAIL_MAX_ATTEMPTS",
        8,
        "sending attempts before an email is marked failed (retries back off exponentially)",
    )
    retry_base_seconds: float = _float("MAIL_RETRY_BASE_SECONDS", 30.0, "delay before the first retry")
    retry_max_seconds: float = _float("MAIL_RETRY_MAX_SECONDS", 1800.0, "longest delay between retries")
    claim_lease_seconds: float = _float(
        "MAIL_CLAIM_LEASE_SECONDS",
        300.0,
        "how long a worker killed mid-batch holds its claim before another may send",
    )
    relay_seconds: float = _float(
        "OUTBOX_RELAY_SECONDS", 30.0, "how often beat hands the broker emails it lost or never received"
    )
    relay_grace_seconds: float = _float(
        "OUTBOX_RELAY_GRACE_SECONDS",
        60.0,
        "how long a queued email waits for its task before the relay sends it again",
    )
    relay_limit: int = _int("OUTBOX_RELAY_LIMIT", 5000, "emails the relay hands on per run")


def _minutes_list(raw: str) -> tuple[int, ...]:
    return tuple(int(minutes) for minutes in raw.split(",") if minutes)


@dataclass(frozen=True)
class EventSettings:
    reminder_offsets_minutes: tuple[int, ...] = _setting(
        "REMINDER_OFFSETS_MINUTES",
        "1440,60",
        "reminders before an event, in minutes, comma-separated (default: one day and one hour before)",
        _minutes_list,
        empty_is_default=False,
    )
    reminder_scan_seconds: float = _float(
        "REMINDER_SCAN_SECONDS", 60.0, "how often beat looks for reminders to send"
    )
    rsvp_link_days_after_event: int = _int(
        "RSVP_LINK_DAYS_AFTER_EVENT", 7, "RSVP links work this many days after the event"
    )


@dataclass(frozen=True)
class RoundSettings:
    link_days_after_close: int = _int(
        "ROUND_LINK_DAYS_AFTER_CLOSE",
        14,
        "personal round links work this many days after the round closes (to read, not to write)",
    )
    reminder_hours_before_close: float = _float(
        "ROUND_REMINDER_HOURS_BEFORE_CLOSE",
        48.0,
        "invitees of organisations that have not commented hear from us this long before the round closes",
    )
    # A round that opens inside this window already says when it closes; a reminder right behind the
    # opening email would be noise.
    reminder_hours_after_opening: float = _float(
        "ROUND_REMINDER_HOURS_AFTER_OPENING", 24.0, "... but not before this long after their opening email"
    )
    scan_seconds: float = _float(
        "ROUND_SCAN_SECONDS",
        60.0,
        "how often beat looks for rounds to open, reminders and reply digests to send",
    )
    reply_digest_minutes: float = _float(
        "REPLY_DIGEST_MINUTES",
        60.0,
        "replies to someone's comments reach them in one digest per this many minutes at most",
    )


@dataclass(frozen=True)
class PollSettings:
    link_days_after_close: int = _int(
        "POLL_LINK_DAYS_AFTER_CLOSE",
        14,
        "scheduling poll links work this many days after the poll closes (to see the outcome, not to answer)",
    )
    reminder_hours_before_close: float = _float(
        "POLL_REMINDER_HOURS_BEFORE_CLOSE",
        48.0,
        "invitees who have not answered a scheduling poll are reminded, once, this long before it closes",
    )
    scan_seconds: float = _float("POLL_SCAN_SECONDS", 60.0, "how often beat looks for poll reminders to send")


@dataclass(frozen=True)
class QuestionnaireSettings:
    link_days_after_close: int = _int(
        "QUESTIONNAIRE_LINK_DAYS_AFTER_CLOSE",
        30,
        "personal questionnaire links work this many days after closing (to read the answer given)",
    )
    reminder_hours_before_close: float = _float(
        "QUESTIONNAIRE_REMINDER_HOURS_BEFORE_CLOSE",
        72.0,
        "those who have not submitted a questionnaire are reminded once, this long before it closes",
    )
    confirmation_days: int = _int(
        "QUESTIONNAIRE_CONFIRMATION_DAYS",
        7,
        "an open questionnaire's email confirmation link works this many days (never past closing)",
    )
    scan_seconds: float = _float(
        "QUESTIONNAIRE_SCAN_SECONDS",
        60.0,
        "how often beat looks for questionnaire invitations and reminders to send",
    )


@dataclass(frozen=True)
class ExportSettings:
    sync_max_comments: int = _int(
        "EXPORT_SYNC_MAX_COMMENTS",
        5000,
        "rounds with more comments than this are exported by a worker (`POST .../exports`) only",
    )
    scan_seconds: float = _float(
        "EXPORT_SCAN_SECONDS",
        30.0,
        "how often beat looks for export jobs the broker lost or whose worker died",
    )
    relay_grace_seconds: float = _float(
        "EXPORT_RELAY_GRACE_SECONDS",
        60.0,
        "how long a queued export job may stay unclaimed before it is dispatched again",
    )
    lease_seconds: float = _float(
        "EXPORT_LEASE_SECONDS",
        300.0,
        "how long a running export job may stay silent (no progress report) before it is dispatched again",
    )
    max_attempts: int = _int("EXPORT_MAX_ATTEMPTS", 3, "attempts before an export job is marked failed")
    timezone: str = _setting(
        "EXPORT_TIMEZONE",
        "UTC",
        "IANA time zone of the dates in exports of a consultation without events (otherwise: its first event's)",
        _time_zone,
    )


@dataclass(frozen=True)
class InboundSettings:
    max_bytes: int = _int(
        "INBOUND_MAX_BYTES",
        25 * 1024 * 1024,
        "largest incoming message accepted (`POST /api/v1/inbound/email` or IMAP)",
    )
    scan_seconds: float = _float(
        "INBOUND_SCAN_SECONDS", 30.0, "how often beat looks for stored messages left unprocessed"
    )
    grace_seconds: float = _float(
        "INBOUND_GRACE_SECONDS",
        60.0,
        "how long a stored message may wait for its task before the scan processes it",
    )


@dataclass(frozen=True)
class ImapSettings:
    url: str = _text(
        "IMAP_URL",
        "",
        "mailbox whose new mail is taken in (see *Feedback by email*); empty: no polling. "
        "`imaps://user:pass@host:993/INBOX`, or `imap://user:pass@host:143/INBOX` with STARTTLS (required off "
        "this machine; `?starttls=true` forces it on 127.0.0.1); percent-encode `@ : / ?` in the user and "
        "password; the folder defaults to INBOX; `?verify=false` accepts any certificate",
    )
    poll_seconds: float = _float("IMAP_POLL_SECONDS", 60.0, "how often beat polls the mailbox")
    processed_folder: str = _text(
        "IMAP_PROCESSED_FOLDER",
        "",
        "folder handled messages are moved to (created when missing; needs a server with MOVE); "
        "empty: they stay in the polled folder, marked with a keyword",
    )


@dataclass(frozen=True)
class UploadSettings:
    import_max_bytes: int = _int(
        "IMPORT_MAX_BYTES",
        5 * 1024 * 1024,
        "largest people import file (CSV or XLSX), and largest meeting attendance report",
    )
    draft_max_bytes: int = _int("DRAFT_MAX_BYTES", 10 * 1024 * 1024, "largest draft document version upload")


@dataclass(frozen=True)
class RetentionSettings:
    inbound_days: int = _int(
        "RETENTION_DAYS_INBOUND",
        180,
        "raw incoming messages are emptied this many days after they arrived, once handled (0: kept)",
    )
    exports_days: int = _int(
        "RETENTION_DAYS_EXPORTS",
        30,
        "export job files are deleted this many days after they were written (0: kept)",
    )
    addresses_days: int = _int(
        "RETENTION_DAYS_ADDRESSES",
        30,
        "addresses outside the directory (open questionnaires' confirmations) are forgotten this many "
        "days after their email was sent or given up (0: kept)",
    )
    scan_seconds: float = _float(
        "RETENTION_SCAN_SECONDS", 3600.0, "how often beat deletes what is kept longer than that"
    )


@dataclass(frozen=True)
class RateLimitSettings:
    """Per minute; far above what a real consultation does, well below what a script does."""

    link_pages: int = _int(
        "RATE_LIMIT_LINK_PAGES",
        120,
        "requests per minute from one address to the pages of personal links (`/r/`, `/rsvp/`, `/unsubscribe/`, `/p/`)",
    )
    failed_lookups: int = _int(
        "RATE_LIMIT_FAILED_LOOKUPS",
        30,
        "unknown or expired tokens (bearer or link) one address may present per minute before its "
        "token-bearing requests are refused (429) for the rest of the minute",
    )
    link_posts: int = _int(
        "RATE_LIMIT_LINK_POSTS",
        30,
        "comments and uploads per minute through one personal link (page or API)",
    )
    api: int = _int("RATE_LIMIT_API", 600, "API requests per minute with one bearer token")


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    app: AppSettings = field(default_factory=AppSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    events: EventSettings = field(default_factory=EventSettings)
    rounds: RoundSettings = field(default_factory=RoundSettings)
    polls: PollSettings = field(default_factory=PollSettings)
    questionnaires: QuestionnaireSettings = field(default_factory=QuestionnaireSettings)
    exports: ExportSettings = field(default_factory=ExportSettings)
    inbound: InboundSettings = field(default_factory=InboundSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)

    def check_production(self) -> None:
        """Every process but `consult dev` calls this: with the dev key, which anyone can read here, anyone
        could sign the unsubscribe links of any person."""
        key = self.app.secret_key
        if key == DEV_SECRET_KEY or len(key.encode()) < MIN_SECRET_KEY_BYTES:
            problem = (
                "is the dev-only default"
                if key == DEV_SECRET_KEY
                else f"is shorter than {MIN_SECRET_KEY_BYTES} bytes"
            )
            raise InsecureSettings(
                f"CONSULT_SECRET_KEY {problem}; set it to a random value made with: {MAKE_SECRET_KEY}"
            )


def described_fields() -> Iterator[tuple[str, Field[Any]]]:
    """(group name, field) for every setting, in the order of Settings."""
    for group in fields(Settings):
        group_class = cast(type, group.default_factory)  # each group's class is its own factory
        for setting in fields(group_class):
            yield group.name, setting


def markdown_table() -> str:
    """The README's configuration table: every variable, its default and its meaning, by area."""
    rows = ["| variable | default | setting | meaning |", "| --- | --- | --- | --- |"]
    for group_name, setting in described_fields():
        meta = setting.metadata
        default = f"`{meta['default']}`" if meta["default"] else "empty"
        rows.append(
            f"| `{meta['variable']}` | {default} | `{group_name}.{setting.name}` | {meta['description']} |"
        )
    return "\n".join(rows) + "\n"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def production_settings() -> Settings:
    """The settings of every entry point but `consult dev`: with the dev secret key (or a short one) the
    process stops at once, saying why in one line (as SystemExit, which neither uvicorn's factory nor
    click nor celery's signals turn into a traceback)."""
    settings = get_settings()
    try:
        settings.check_production()
    except InsecureSettings as exc:
        raise SystemExit(f"Error: {exc}") from exc
    return settings
