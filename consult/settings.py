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
    smtp_timeout: float = field(default_factory=lambda: _env_float("SMTP_TIMEOUT", 30.0))
    base_url: str = field(default_factory=lambda: _env("BASE_URL", "http://127.0.0.1:8000").rstrip("/"))
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", DEV_SECRET_KEY))
    mail_from: str = field(default_factory=lambda: _env("MAIL_FROM", "consult@example.org"))
    mail_from_name: str = field(default_factory=lambda: _env("MAIL_FROM_NAME", "Consult"))
    staff_token_days: int = field(default_factory=lambda: _env_int("STAFF_TOKEN_DAYS", 180))
    import_max_bytes: int = field(default_factory=lambda: _env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024))
    db_pool_size: int = field(default_factory=lambda: _env_int("DB_POOL_SIZE", 10))

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
