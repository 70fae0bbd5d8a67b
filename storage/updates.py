"""Platform updates already handled (Telegram update_id, Slack event_id): a retry is processed
once, even across processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from storage.engine import Database
from storage.sql import insert
from storage.tables import processed_updates

KEEP_FOR = timedelta(days=2)


class ProcessedUpdateRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_time(self, platform: str, update_key: str, *, now: datetime) -> bool:
        """Record the update; False when it was recorded before."""
        stmt = (
            insert(self.db.dialect, processed_updates)
            .values(platform=platform, update_key=update_key, created_at=now)
            .on_conflict_do_nothing()
        )
        async with self.db.write(one_statement=True) as conn:
            result = await conn.execute(stmt)
            return bool(result.rowcount)

    async def forget(self, platform: str, update_key: str) -> None:
        """Unrecord an update whose handling failed, so the platform's retry is processed."""
        async with self.db.write() as conn:
            await conn.execute(
                delete(processed_updates).where(
                    processed_updates.c.platform == platform,
                    processed_updates.c.update_key == update_key,
                )
            )

    async def prune(self, *, now: datetime) -> int:
        cutoff = now - KEEP_FOR
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(processed_updates).where(processed_updates.c.created_at < cutoff)
            )
            return int(result.rowcount)
