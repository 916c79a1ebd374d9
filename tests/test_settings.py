"""Settings: every CONSULT_* variable keeps its name and default, the README's table is the generated
one, the app takes its route limits from the settings it is given, and production refuses the dev key."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from consult.app import create_app
from consult.settings import (
    DEV_SECRET_KEY,
    AppSettings,
    InsecureSettings,
    Settings,
    UploadSettings,
    described_fields,
    get_settings,
    markdown_table,
)
from tests.servers import free_port

README = Path(__file__).resolve().parents[1] / "README.md"
CONSULT = str(Path(sys.executable).with_name("consult"))
MB = 1024 * 1024

# The variables are a public contract: renaming or dropping one, or changing a default, fails here.
DEFAULTS = {
    "CONSULT_DATA_DIR": "var",  # relative to the working directory, see test_defaults
    "CONSULT_BASE_URL": "http://127.0.0.1:8000",
    "CONSULT_SECRET_KEY": DEV_SECRET_KEY,
    "CONSULT_STAFF_TOKEN_DAYS": 180,
    "CONSULT_PERSONAL_PAGE_LINK_DAYS": 180,
    "CONSULT_CORS_ORIGINS": (),
    "CONSULT_DATABASE_URL": "",
    "CONSULT_DB_POOL_SIZE": 10,
    "CONSULT_REDIS_URL": "",
    "CONSULT_CELERY_QUEUE": "consult",
    "CONSULT_SMTP_URL": "smtp://127.0.0.1:8025",
    "CONSULT_SMTP_TIMEOUT": 30.0,
    "CONSULT_MAIL_SINK": True,
    "CONSULT_MAIL_FROM": "consult@example.org",
    "CONSULT_MAIL_FROM_NAME": "Consult",
    "CONSULT_REPLY_DOMAIN": "",
    "CONSULT_REPLY_TOKEN_DAYS": 90,
    "CONSULT_SMTP_CONNECTIONS": 2,
    "CONSULT_MAIL_RATE_PER_SECOND": 0.0,
    "CONSULT_MAIL_MAX_ATTEMPTS": 8,
    "CONSULT_MAIL_RETRY_BASE_SECONDS": 30.0,
    "CONSULT_MAIL_RETRY_MAX_SECONDS": 1800.0,
    "CONSULT_MAIL_CLAIM_LEASE_SECONDS": 300.0,
    "CONSULT_OUTBOX_RELAY_SECONDS": 30.0,
    "CONSULT_OUTBOX_RELAY_GRACE_SECONDS": 60.0,
    "CONSULT_OUTBOX_RELAY_LIMIT": 5000,
    "CONSULT_REMINDER_OFFSETS_MINUTES": (1440, 60),
    "CONSULT_REMINDER_SCAN_SECONDS": 60.0,
    "CONSULT_RSVP_LINK_DAYS_AFTER_EVENT": 7,
    "CONSULT_ROUND_LINK_DAYS_AFTER_CLOSE": 14,
    "CONSULT_ROUND_REMINDER_HOURS_BEFORE_CLOSE": 48.0,
    "CONSULT_ROUND_REMINDER_HOURS_AFTER_OPENING": 24.0,
    "CONSULT_ROUND_SCAN_SECONDS": 60.0,
    "CONSULT_QUESTIONNAIRE_LINK_DAYS_AFTER_CLOSE": 30,
    "CONSULT_QUESTIONNAIRE_REMINDER_HOURS_BEFORE_CLOSE": 72.0,
    "CONSULT_QUESTIONNAIRE_CONFIRMATION_DAYS": 7,
    "CONSULT_QUESTIONNAIRE_SCAN_SECONDS": 60.0,
    "CONSULT_REPLY_DIGEST_MINUTES": 60.0,
    "CONSULT_POLL_LINK_DAYS_AFTER_CLOSE": 14,
    "CONSULT_POLL_REMINDER_HOURS_BEFORE_CLOSE": 48.0,
    "CONSULT_POLL_SCAN_SECONDS": 60.0,
    "CONSULT_EXPORT_SYNC_MAX_COMMENTS": 5000,
    "CONSULT_EXPORT_SCAN_SECONDS": 30.0,
    "CONSULT_EXPORT_RELAY_GRACE_SECONDS": 60.0,
    "CONSULT_EXPORT_LEASE_SECONDS": 300.0,
    "CONSULT_EXPORT_MAX_ATTEMPTS": 3,
    "CONSULT_EXPORT_TIMEZONE": "UTC",
    "CONSULT_INBOUND_MAX_BYTES": 25 * MB,
    "CONSULT_INBOUND_SCAN_SECONDS": 30.0,
    "CONSULT_INBOUND_GRACE_SECONDS": 60.0,
    "CONSULT_IMAP_URL": "",
    "CONSULT_IMAP_POLL_SECONDS": 60.0,
    "CONSULT_IMAP_PROCESSED_FOLDER": "",
    "CONSULT_IMPORT_MAX_BYTES": 5 * MB,
    "CONSULT_DRAFT_MAX_BYTES": 10 * MB,
    "CONSULT_RETENTION_DAYS_INBOUND": 180,
    "CONSULT_RETENTION_DAYS_EXPORTS": 30,
    "CONSULT_RETENTION_DAYS_ADDRESSES": 30,
    "CONSULT_RETENTION_SCAN_SECONDS": 3600.0,
    "CONSULT_RATE_LIMIT_LINK_PAGES": 120,
    "CONSULT_RATE_LIMIT_FAILED_LOOKUPS": 30,
    "CONSULT_RATE_LIMIT_LINK_POSTS": 30,
    "CONSULT_RATE_LIMIT_API": 600,
}


def values_by_variable(settings: Settings) -> dict[str, object]:
    return {
        setting.metadata["variable"]: getattr(getattr(settings, group), setting.name)
        for group, setting in described_fields()
    }


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in os.environ:
        if name.startswith("CONSULT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(clean_environment, tmp_path):
    values = values_by_variable(Settings())

    assert values == {**DEFAULTS, "CONSULT_DATA_DIR": tmp_path.resolve() / "var"}


def test_each_variable_is_read(clean_environment):
    clean_environment.setenv("CONSULT_DB_POOL_SIZE", "3")
    clean_environment.setenv("CONSULT_SMTP_TIMEOUT", "2.5")
    clean_environment.setenv("CONSULT_SMTP_URL", "smtp://relay.example.org:587")
    clean_environment.setenv("CONSULT_REMINDER_OFFSETS_MINUTES", "30")
    clean_environment.setenv("CONSULT_BASE_URL", "https://consult.example.org/")
    clean_environment.setenv("CONSULT_REPLY_DOMAIN", "replies.example.org")
    clean_environment.setenv("CONSULT_MAIL_RATE_PER_SECOND", "")  # empty: the default

    settings = Settings()

    assert settings.database.pool_size == 3
    assert settings.mail.smtp_timeout == 2.5
    assert settings.mail.sink is False  # a relay is configured: mail goes there
    assert settings.events.reminder_offsets_minutes == (30,)
    assert settings.app.base_url == "https://consult.example.org"
    assert settings.mail.domain == "replies.example.org"
    assert settings.outbox.rate_per_second == 0.0


def test_a_malformed_value_names_its_variable(clean_environment):
    clean_environment.setenv("CONSULT_MAIL_SINK", "maybe")
    with pytest.raises(ValueError, match="CONSULT_MAIL_SINK"):
        Settings()
    clean_environment.setenv("CONSULT_MAIL_SINK", "yes")
    clean_environment.setenv("CONSULT_EXPORT_MAX_ATTEMPTS", "three")
    with pytest.raises(ValueError, match="CONSULT_EXPORT_MAX_ATTEMPTS"):
        Settings()


def test_readme_table_is_the_generated_one():
    readme = README.read_text(encoding="utf-8")
    table = re.search(
        r"<!-- settings table: [^>]*-->\n(.*?)<!-- end of settings table -->", readme, re.DOTALL
    )

    assert table, "README.md has lost the settings table's markers"
    assert table.group(1) == markdown_table(), (
        "README.md's table is stale: paste the output of `consult settings`"
    )
    assert {f"`{variable}`" for variable in DEFAULTS} <= set(re.findall(r"`CONSULT_\w+`", table.group(1)))


def test_upload_body_limits_come_from_the_settings_given_to_the_app():
    limits = UploadSettings(import_max_bytes=1000, draft_max_bytes=2000)
    app = create_app(dataclasses.replace(get_settings(), uploads=limits))

    def body_limit(path: str) -> int | None:
        (route,) = (route for route in app.routes if route.path == path)
        (handler,) = (h for h in route.route_handlers if "POST" in h.http_methods)
        return handler.resolve_request_max_body_size()

    assert body_limit("/api/v1/people/import") == 1000 + 64 * 1024
    assert body_limit("/api/v1/documents/{document_id:uuid}/versions") == 2000 + 64 * 1024


@pytest.mark.parametrize(
    ("key", "accepted"),
    [(DEV_SECRET_KEY, False), ("x" * 31, False), ("é" * 16, True), ("x" * 32, True)],
)
def test_production_needs_a_secret_key_of_32_bytes_other_than_the_dev_one(key, accepted):
    settings = dataclasses.replace(
        get_settings(), app=dataclasses.replace(get_settings().app, secret_key=key)
    )
    if accepted:
        settings.check_production()
    else:
        with pytest.raises(InsecureSettings, match=r"CONSULT_SECRET_KEY .*secrets\.token_urlsafe"):
            settings.check_production()


def test_the_test_run_uses_a_production_fit_key():
    get_settings().check_production()
    assert AppSettings().secret_key == get_settings().app.secret_key


ENTRY_POINTS = {
    "api": [sys.executable, "-m", "uvicorn", "consult.app:create_app", "--factory", "--port", "{port}"],
    "celery worker": [sys.executable, "-m", "celery", "-A", "workers.app:celery_app", "worker", "-B"],
    "consult worker": [CONSULT, "worker"],
    "consult beat": [CONSULT, "beat"],
    "consult db upgrade": [CONSULT, "db", "upgrade"],
    "consult users create": [CONSULT, "users", "create", "someone@example.org", "--role", "admin"],
    "consult users revoke": [CONSULT, "users", "revoke", "someone@example.org"],
    "consult demo": [CONSULT, "demo"],
}


@pytest.mark.parametrize(
    ("entry_point", "key"), [*((entry_point, None) for entry_point in ENTRY_POINTS), ("api", "too-short")]
)
def test_every_process_but_consult_dev_refuses_the_dev_key(entry_point, key, tmp_path):
    """With a good key each starts: the other tests run them with one (conftest). `consult dev` starts
    with the dev key: tests/test_dev_server.py."""
    env = {name: value for name, value in os.environ.items() if name != "CONSULT_SECRET_KEY"}
    if key is not None:
        env["CONSULT_SECRET_KEY"] = key
    command = [part.format(port=free_port()) for part in ENTRY_POINTS[entry_point]]

    result = subprocess.run(
        command, env={**env, "CONSULT_DATA_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1, result.stdout + result.stderr
    problem = "is the dev-only default" if key is None else "is shorter than 32 bytes"
    assert result.stderr.strip().splitlines() == [
        f"Error: CONSULT_SECRET_KEY {problem}; set it to a random value made with: "
        'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
    ]
