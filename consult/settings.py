"""Every setting comes from a CONSULT_* environment variable; this module is the only reader."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused outside dev by Settings.check_production


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CONSULT_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"CONSULT_{name}")
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(f"CONSULT_{name}")
    return float(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(f"CONSULT_{name}", "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"CONSULT_{name}: expected true or false, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", "var")).resolve())
    # Empty means the embedded default: SQLite in data_dir.
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", ""))
    # Empty means the embedded broker (kombu's filesystem transport in data_dir).
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    # Queue name; separate deployments (or test runs) on one Redis use different names.
    celery_queue: str = field(default_factory=lambda: _env("CELERY_QUEUE", "consult"))
    smtp_url: str = field(default_factory=lambda: _env("SMTP_URL", "smtp://127.0.0.1:8025"))
    # `consult dev` captures outgoing mail with a local SMTP server on smtp_url's port, writing .eml
    # files to mail_capture_dir. On by default only while CONSULT_SMTP_URL is unset, so a configured
    # relay is used as is; CONSULT_MAIL_SINK=true captures on a chosen port (the smoke test does).
    mail_sink: bool = field(default_factory=lambda: _env_bool("MAIL_SINK", not _env("SMTP_URL", "")))
    smtp_timeout: float = field(default_factory=lambda: _env_float("SMTP_TIMEOUT", 30.0))
    base_url: str = field(default_factory=lambda: _env("BASE_URL", "http://127.0.0.1:8000").rstrip("/"))
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", DEV_SECRET_KEY))
    mail_from: str = field(default_factory=lambda: _env("MAIL_FROM", "consult@example.org"))
    mail_from_name: str = field(default_factory=lambda: _env("MAIL_FROM_NAME", "Consult"))
    staff_token_days: int = field(default_factory=lambda: _env_int("STAFF_TOKEN_DAYS", 180))
    import_max_bytes: int = field(default_factory=lambda: _env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024))
    draft_max_bytes: int = field(default_factory=lambda: _env_int("DRAFT_MAX_BYTES", 10 * 1024 * 1024))
    db_pool_size: int = field(default_factory=lambda: _env_int("DB_POOL_SIZE", 10))
    # Outgoing mail: retries back off exponentially up to the cap, then the email is marked failed.
    mail_max_attempts: int = field(default_factory=lambda: _env_int("MAIL_MAX_ATTEMPTS", 8))
    mail_retry_base_seconds: float = field(
        default_factory=lambda: _env_float("MAIL_RETRY_BASE_SECONDS", 30.0)
    )
    mail_retry_max_seconds: float = field(
        default_factory=lambda: _env_float("MAIL_RETRY_MAX_SECONDS", 1800.0)
    )
    # A worker killed mid-batch holds its claim this long before another worker may take the email.
    mail_claim_lease_seconds: float = field(
        default_factory=lambda: _env_float("MAIL_CLAIM_LEASE_SECONDS", 300.0)
    )
    # SMTP connections each worker process keeps open in parallel while sending a batch.
    smtp_connections: int = field(default_factory=lambda: _env_int("SMTP_CONNECTIONS", 2))
    # Messages per second per worker process (0 = no limit).
    mail_rate_per_second: float = field(default_factory=lambda: _env_float("MAIL_RATE_PER_SECOND", 0.0))
    outbox_relay_seconds: float = field(default_factory=lambda: _env_float("OUTBOX_RELAY_SECONDS", 30.0))
    outbox_relay_grace_seconds: float = field(
        default_factory=lambda: _env_float("OUTBOX_RELAY_GRACE_SECONDS", 60.0)
    )
    outbox_relay_limit: int = field(default_factory=lambda: _env_int("OUTBOX_RELAY_LIMIT", 5000))
    # Reminders before an event, in minutes (default: one day and one hour before).
    reminder_offsets_minutes: tuple[int, ...] = field(
        default_factory=lambda: tuple(
            int(m) for m in _env("REMINDER_OFFSETS_MINUTES", "1440,60").split(",") if m
        )
    )
    reminder_scan_seconds: float = field(default_factory=lambda: _env_float("REMINDER_SCAN_SECONDS", 60.0))
    rsvp_link_days_after_event: int = field(default_factory=lambda: _env_int("RSVP_LINK_DAYS_AFTER_EVENT", 7))
    # Comment rounds: personal links work this many days after the round closes (to read, not to write).
    round_link_days_after_close: int = field(
        default_factory=lambda: _env_int("ROUND_LINK_DAYS_AFTER_CLOSE", 14)
    )
    # Invitees of organisations that have not commented hear from us this long before the round closes.
    round_reminder_hours_before_close: float = field(
        default_factory=lambda: _env_float("ROUND_REMINDER_HOURS_BEFORE_CLOSE", 48.0)
    )
    # ... but not before this long after their opening email: a round that opens inside that window
    # already says when it closes, and a reminder right behind it would be noise.
    round_reminder_hours_after_opening: float = field(
        default_factory=lambda: _env_float("ROUND_REMINDER_HOURS_AFTER_OPENING", 24.0)
    )
    # How often beat looks for rounds to open, reminders and reply digests to send.
    round_scan_seconds: float = field(default_factory=lambda: _env_float("ROUND_SCAN_SECONDS", 60.0))
    # Replies to someone's comments reach them in one digest per this many minutes at most.
    reply_digest_minutes: float = field(default_factory=lambda: _env_float("REPLY_DIGEST_MINUTES", 60.0))
    # Exports: rounds with more comments than this are exported by a worker (POST .../exports) only;
    # the API holds them all in memory and a Word file of 5,000 takes seconds of CPU to build.
    export_sync_max_comments: int = field(default_factory=lambda: _env_int("EXPORT_SYNC_MAX_COMMENTS", 5000))
    # How often beat looks for export jobs the broker lost or whose worker died, and how long each may
    # stay unclaimed (queued) or silent (running, no progress report) before it is dispatched again.
    export_scan_seconds: float = field(default_factory=lambda: _env_float("EXPORT_SCAN_SECONDS", 30.0))
    export_relay_grace_seconds: float = field(
        default_factory=lambda: _env_float("EXPORT_RELAY_GRACE_SECONDS", 60.0)
    )
    export_lease_seconds: float = field(default_factory=lambda: _env_float("EXPORT_LEASE_SECONDS", 300.0))
    export_max_attempts: int = field(default_factory=lambda: _env_int("EXPORT_MAX_ATTEMPTS", 3))
    # Reply-by-email: Reply-To reply+TOKEN@ and VERP bounce+ID@ addresses use this domain (empty: the
    # domain of mail_from); a reply token works this many days after the email that carried it.
    reply_domain: str = field(default_factory=lambda: _env("REPLY_DOMAIN", ""))
    reply_token_days: int = field(default_factory=lambda: _env_int("REPLY_TOKEN_DAYS", 90))
    # Incoming mail (POST /api/v1/inbound/email, or IMAP): the largest raw message accepted, and how
    # long a stored message may wait for its task before the beat scan processes it.
    inbound_max_bytes: int = field(default_factory=lambda: _env_int("INBOUND_MAX_BYTES", 25 * 1024 * 1024))
    inbound_scan_seconds: float = field(default_factory=lambda: _env_float("INBOUND_SCAN_SECONDS", 30.0))
    inbound_grace_seconds: float = field(default_factory=lambda: _env_float("INBOUND_GRACE_SECONDS", 60.0))
    # IMAP intake (consult/inbound/imap.py): the mailbox beat polls, e.g. imaps://user:pass@host/INBOX
    # (empty: no polling), how often, and the folder handled messages are moved to (empty: they stay,
    # marked with a keyword).
    imap_url: str = field(default_factory=lambda: _env("IMAP_URL", ""))
    imap_poll_seconds: float = field(default_factory=lambda: _env_float("IMAP_POLL_SECONDS", 60.0))
    imap_processed_folder: str = field(default_factory=lambda: _env("IMAP_PROCESSED_FOLDER", ""))

    @property
    def mail_domain(self) -> str:
        """The domain of reply, bounce and unsubscribe addresses."""
        return self.reply_domain or self.mail_from.rpartition("@")[2] or "localhost"

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    @property
    def uses_embedded_broker(self) -> bool:
        return not self.redis_url

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
