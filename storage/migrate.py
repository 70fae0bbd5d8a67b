"""Bring the schema up to date with Alembic, on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x0D8B0700  # advisory lock key, held for the migration's transaction


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    def _current(sync_conn: Any) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to ``revision``; returns (revision before, revision after)."""
    before = await current_revision(db)
    if before == head_revision() and revision == "head":
        return before, before
    config = alembic_config()

    def _upgrade(sync_conn: Any) -> None:
        if db.dialect == "postgresql":
            # processes starting together (web and workers) migrate one after the other; the
            # later ones find the schema at head (alembic reads it after the lock is granted)
            sync_conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config.attributes["connection"] = sync_conn
        command.upgrade(config, revision)

    async with db.schema_change() as conn:
        await conn.run_sync(_upgrade)
    return before, await current_revision(db)
