"""Alembic owns the schema: the migrated database must match the models exactly, on PostgreSQL
and on the embedded SQLite default."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from consult.models import Base


def test_models_and_migrations_do_not_drift(db_engine):
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_build_the_embedded_sqlite_database(tmp_path):
    env_code = (
        "import os; os.environ.pop('CONSULT_DATABASE_URL', None); "
        f"os.environ['CONSULT_DATA_DIR'] = {str(tmp_path)!r}; "
        "from consult.migrations import upgrade; upgrade()"
    )
    subprocess.run([sys.executable, "-c", env_code], check=True, capture_output=True)
    engine = create_engine(f"sqlite:///{tmp_path / 'consult.sqlite3'}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
